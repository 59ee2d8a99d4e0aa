#!/usr/bin/env bash
# Start or stop the four services as separate processes on 127.0.0.1, against the Kafka and
# MinIO that up.sh started (their endpoints come from $SAKUSEI_LOCAL_DIR/infra.env).
#
#   bash deploy/local/services.sh start|stop|status
#
# Pid files and logs live in $SAKUSEI_LOCAL_DIR/run; only those pids are ever signalled.
set -euo pipefail

# shellcheck source=deploy/local/lib/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib/common.sh"

RUN_DIR="${STATE_DIR}/run"
PYTHON="${PYTHON:-${REPO_ROOT}/.venv/bin/python}"
SERVICES=(intake review transform delivery)
mkdir -p "${RUN_DIR}"

running() { [ -f "${RUN_DIR}/$1.pid" ] && kill -0 "$(cat "${RUN_DIR}/$1.pid")" 2>/dev/null; }

start() {
  [ -f "${INFRA_ENV}" ] || die "no ${INFRA_ENV}: run deploy/local/up.sh first"
  [ -f "${STATE_DIR}/keys/token_ed25519.pub.pem" ] || die "no token keys: run 'make keys' first"
  # shellcheck disable=SC1090
  . "${INFRA_ENV}"
  export SAKUSEI_TOKEN_PUBLIC_KEY="${STATE_DIR}/keys/token_ed25519.pub.pem"
  export SAKUSEI_STATE_DIR="${STATE_DIR}/state"
  local service
  for service in "${SERVICES[@]}"; do
    if running "${service}"; then
      log "${service}: already running (pid $(cat "${RUN_DIR}/${service}.pid"))"
      continue
    fi
    (cd "${REPO_ROOT}" && exec setsid "${PYTHON}" -m "services.${service}" \
      >>"${RUN_DIR}/${service}.log" 2>&1) &
    echo $! >"${RUN_DIR}/${service}.pid"
    log "${service}: started (pid $!), log ${RUN_DIR}/${service}.log"
  done
  for service in "${SERVICES[@]}"; do
    wait_healthy "${service}"
  done
}

wait_healthy() {
  local port
  case "$1" in intake) port=50051 ;; review) port=50052 ;; transform) port=50053 ;; delivery) port=50054 ;; esac
  "${PYTHON}" - "$port" "${READY_TIMEOUT}" <<'PY' || { tail -n 30 "${RUN_DIR}/$1.log" >&2; die "$1 not serving"; }
import sys, time, grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
port, limit = sys.argv[1], float(sys.argv[2])
deadline = time.monotonic() + limit
with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
    while time.monotonic() < deadline:
        try:
            if health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                sys.exit(0)
        except grpc.RpcError:
            time.sleep(0.3)
sys.exit(1)
PY
  log "$1: serving on 127.0.0.1:${port}"
}

stop() {
  local service pid i
  for service in "${SERVICES[@]}"; do
    running "${service}" || { rm -f "${RUN_DIR}/${service}.pid"; continue; }
    pid="$(cat "${RUN_DIR}/${service}.pid")"
    kill -TERM "${pid}" 2>/dev/null || true
    for i in $(seq 1 $((STOP_TIMEOUT * 5))); do
      kill -0 "${pid}" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "${pid}" 2>/dev/null && kill -KILL "${pid}" 2>/dev/null || true
    rm -f "${RUN_DIR}/${service}.pid"
    log "${service}: stopped"
  done
}

status() {
  local service
  for service in "${SERVICES[@]}"; do
    if running "${service}"; then echo "${service}: running (pid $(cat "${RUN_DIR}/${service}.pid"))"
    else echo "${service}: stopped"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: services.sh start|stop|status" ;;
esac
