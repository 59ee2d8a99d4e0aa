#!/usr/bin/env bash
# Show whether the local Kafka and MinIO started by up.sh are running and
# answering. Exit 0 if both are up, 1 otherwise.
set -euo pipefail

# shellcheck source=deploy/local/lib/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib/common.sh"

rc=0
printf 'state dir: %s\n' "${STATE_DIR}"

if pid="$(pid_of_ours "${KAFKA_PID}" "$(kafka_marker)")"; then
  if port_busy "${KAFKA_HOST}" "${KAFKA_PORT}"; then
    printf 'kafka %s: running, pid %s, listening on %s:%s\n' "${KAFKA_VERSION}" "${pid}" "${KAFKA_HOST}" "${KAFKA_PORT}"
  else
    printf 'kafka %s: running, pid %s, NOT listening on %s:%s yet\n' "${KAFKA_VERSION}" "${pid}" "${KAFKA_HOST}" "${KAFKA_PORT}"
    rc=1
  fi
else
  printf 'kafka %s: stopped\n' "${KAFKA_VERSION}"
  rc=1
fi

if pid="$(pid_of_ours "${MINIO_PID}" "$(minio_marker)")"; then
  if minio_ready; then
    printf 'minio: running, pid %s, ready on %s:%s\n' "${pid}" "${MINIO_HOST}" "${MINIO_PORT}"
  else
    printf 'minio: running, pid %s, NOT ready on %s:%s\n' "${pid}" "${MINIO_HOST}" "${MINIO_PORT}"
    rc=1
  fi
else
  printf 'minio: stopped\n'
  rc=1
fi

if [ -f "${INFRA_ENV}" ]; then
  printf 'env file: %s\n' "${INFRA_ENV}"
fi
exit "${rc}"
