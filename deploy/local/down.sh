#!/usr/bin/env bash
# Stop the Kafka and MinIO processes started by up.sh (only those: identified
# by the pid files under $SAKUSEI_LOCAL_DIR and checked against their command
# line). SIGTERM, bounded wait, then SIGKILL. Data is kept; see reset.sh.
set -euo pipefail

# shellcheck source=deploy/local/lib/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib/common.sh"

if command -v flock >/dev/null 2>&1; then
  exec 9>"${STATE_DIR}/.lock"
  flock -w 300 9 || die "another up/down is holding ${STATE_DIR}/.lock"
fi

# gone PID: true once the process no longer exists (or is only a zombie).
gone() {
  kill -0 "$1" 2>/dev/null || return 0
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo Z)" = "Z" ]
}

stop_one() {
  local name="$1" pidfile="$2" marker="$3" pid
  if ! pid="$(pid_of_ours "${pidfile}" "${marker}")"; then
    [ -f "${pidfile}" ] && log "${name}: not running (removing stale ${pidfile})"
    rm -f "${pidfile}"
    return 0
  fi
  log "${name}: stopping pid ${pid} (SIGTERM, up to ${STOP_TIMEOUT}s)"
  kill -TERM "${pid}" 2>/dev/null || true
  for _ in $(seq 1 $((STOP_TIMEOUT * 5))); do
    gone "${pid}" && break
    sleep 0.2
  done
  if ! gone "${pid}"; then
    log "${name}: still running after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "${pid}" 2>/dev/null || true
    for _ in $(seq 1 50); do
      gone "${pid}" && break
      sleep 0.2
    done
    gone "${pid}" || die "${name}: pid ${pid} survived SIGKILL"
  fi
  rm -f "${pidfile}"
  log "${name}: stopped"
}

# Stop both even if one fails.
rc=0
stop_one kafka "${KAFKA_PID}" "$(kafka_marker)" || rc=1
stop_one minio "${MINIO_PID}" "$(minio_marker)" || rc=1
exit "${rc}"
