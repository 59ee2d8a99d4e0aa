"""Wait until a Kafka broker answers an admin "list topics" via kafka-python.

Usage: python kafka_ready.py BOOTSTRAP TIMEOUT_SECONDS [PID]
Exit 0 when ready, 1 on timeout, 2 if the broker process PID exited.
"""
import logging
import os
import sys
import time

from kafka.admin import KafkaAdminClient


def alive(pid):
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main():
    bootstrap = sys.argv[1]
    deadline = time.monotonic() + float(sys.argv[2])
    pid = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else None
    # kafka-python logs every refused connection while the broker starts.
    logging.basicConfig(level=logging.CRITICAL)
    last = "no attempt"
    attempts = 0
    while time.monotonic() < deadline and attempts < 1000:
        attempts += 1
        if not alive(pid):
            print("kafka process %s exited" % pid, file=sys.stderr)
            return 2
        remaining_ms = int(max(1.0, deadline - time.monotonic()) * 1000)
        client = None
        try:
            client = KafkaAdminClient(
                bootstrap_servers=bootstrap,
                client_id="sakusei-local-ready",
                request_timeout_ms=min(5000, remaining_ms),
                bootstrap_timeout_ms=min(5000, remaining_ms),
            )
            topics = client.list_topics()
            print("kafka ready at %s (%d topics)" % (bootstrap, len(topics)), file=sys.stderr)
            return 0
        except Exception as exc:  # broker still starting
            last = "%s: %s" % (type(exc).__name__, exc)
        finally:
            if client is not None:
                try:
                    client.close()
                except Exception:
                    pass
        time.sleep(0.5)
    print("kafka not ready at %s: %s" % (bootstrap, last), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
