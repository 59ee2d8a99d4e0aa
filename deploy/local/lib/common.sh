# shellcheck shell=bash disable=SC2034  # variables are used by the sourcing scripts
# Shared settings and helpers for deploy/local/*.sh. Sourced, never executed.
#
# Everything these scripts create lives under $SAKUSEI_LOCAL_DIR
# (default: <repo>/.local, which is gitignored).

# ---- pinned versions -------------------------------------------------------
# The Kafka broker and its logging binding are pinned in deploy/local/kafka/pom.xml
# (single source of truth; KAFKA_VERSION is read from it below).
# MinIO server: the Go module proxy serves github.com/minio/minio only as this
# pseudo-version (the final commit of the archived upstream repository); the
# 2025 RELEASE.* tags are not served by the proxy reachable here. See README.md.
MINIO_MODULE="github.com/minio/minio"
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
# Oldest Go toolchain that can build that module (its go.mod says go 1.24.0).
GO_MIN_MINOR=24

# ---- fixed local endpoints (loopback only) ---------------------------------
KAFKA_HOST="127.0.0.1"
KAFKA_PORT=19092
KAFKA_CONTROLLER_PORT=19093
MINIO_HOST="127.0.0.1"
MINIO_PORT=19000
MINIO_CONSOLE_PORT=19001

# ---- paths -------------------------------------------------------------------
LOCAL_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
REPO_ROOT="$(cd "${LOCAL_SCRIPT_DIR}/../.." && pwd -P)"
STATE_DIR="${SAKUSEI_LOCAL_DIR:-${REPO_ROOT}/.local}"
mkdir -p "${STATE_DIR}"
STATE_DIR="$(cd "${STATE_DIR}" && pwd -P)"

KAFKA_DIR="${STATE_DIR}/kafka"
KAFKA_LIB="${KAFKA_DIR}/lib"
KAFKA_CONF="${KAFKA_DIR}/config"
KAFKA_DATA="${KAFKA_DIR}/data"
KAFKA_LOGS="${KAFKA_DIR}/logs"
KAFKA_PID="${KAFKA_DIR}/kafka.pid"
KAFKA_STAMP="${KAFKA_LIB}/.installed"
KAFKA_POM="${LOCAL_SCRIPT_DIR}/kafka/pom.xml"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "${KAFKA_POM}" | head -n 1)"

MINIO_DIR="${STATE_DIR}/minio"
MINIO_BIN="${MINIO_DIR}/bin/minio"
MINIO_STAMP="${MINIO_DIR}/bin/.installed"
MINIO_DATA="${MINIO_DIR}/data"
MINIO_LOGS="${MINIO_DIR}/logs"
MINIO_PID="${MINIO_DIR}/minio.pid"
MINIO_SECRETS="${MINIO_DIR}/secrets.env"

INFRA_ENV="${STATE_DIR}/infra.env"

# ---- tunables (environment) --------------------------------------------------
KAFKA_HEAP_OPTS="${SAKUSEI_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
READY_TIMEOUT="${SAKUSEI_LOCAL_READY_TIMEOUT:-120}"   # seconds, per service
STOP_TIMEOUT="${SAKUSEI_LOCAL_STOP_TIMEOUT:-30}"      # seconds before SIGKILL

# ---- helpers -----------------------------------------------------------------
log() { printf '[local-infra] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# pid_of_ours PIDFILE MARKER: prints the pid recorded in PIDFILE if that process
# is alive and its command line contains MARKER (guards against pid reuse).
pid_of_ours() {
  local pidfile="$1" marker="$2" pid
  [ -f "${pidfile}" ] || return 1
  pid="$(tr -dc '0-9' < "${pidfile}")"
  [ -n "${pid}" ] || return 1
  kill -0 "${pid}" 2>/dev/null || return 1
  [ -r "/proc/${pid}/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/${pid}/cmdline" | grep -qF -- "${marker}" || return 1
  printf '%s\n' "${pid}"
}

# Markers that identify our processes (paths are unique to this state dir).
kafka_marker() { printf '%s' "${KAFKA_CONF}/server.properties"; }
minio_marker() { printf '%s' "${MINIO_BIN}"; }

# port_busy HOST PORT: true if something accepts TCP connections there.
port_busy() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# tail_log FILE...: show the end of logs after a failure.
tail_log() {
  local f
  for f in "$@"; do
    [ -f "${f}" ] || continue
    log "---- last 40 lines of ${f} ----"
    tail -n 40 "${f}" >&2 || true
  done
}

# A Python interpreter that can import kafka (kafka-python), or nothing.
find_kafka_python() {
  local cand
  for cand in "${SAKUSEI_PYTHON:-}" "${REPO_ROOT}/.venv/bin/python" python3; do
    [ -n "${cand}" ] || continue
    command -v "${cand}" >/dev/null 2>&1 || continue
    if "${cand}" -c 'import kafka' >/dev/null 2>&1; then
      printf '%s\n' "${cand}"
      return 0
    fi
  done
  return 1
}

# http_status URL: print the HTTP status code (000 if unreachable).
http_status() {
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" 2>/dev/null || printf '000'
  else
    python3 - "$1" <<'PY' 2>/dev/null || printf '000'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).status, end="")
except urllib.error.HTTPError as e:
    print(e.code, end="")
except Exception:
    print("000", end="")
PY
  fi
}

minio_ready() { [ "$(http_status "http://${MINIO_HOST}:${MINIO_PORT}/minio/health/ready")" = "200" ]; }

# Script for `setsid bash -c "$DAEMON_WRAPPER" _ PIDFILE CMD...`: records its own
# pid in PIDFILE, closes every inherited fd above 2 (lock files, callers' pipes)
# and execs CMD, which keeps that pid.
# shellcheck disable=SC2016
DAEMON_WRAPPER='printf "%s\n" "$$" > "$1"; shift
for f in /proc/$$/fd/*; do n="${f##*/}"; if [ "$n" -gt 2 ] 2>/dev/null; then eval "exec $n>&-"; fi; done
exec "$@"'
