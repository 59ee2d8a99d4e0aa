#!/usr/bin/env bash
# A PostgreSQL cluster on 127.0.0.1:15432 for the review store's tests (and for trying
# DATABASE_URL locally). Data under $SAKUSEI_LOCAL_DIR/postgres; the URL with its generated password
# is written to $SAKUSEI_LOCAL_DIR/postgres/postgres.env (SAKUSEI_POSTGRES_URL). Idempotent:
# `start` initialises the cluster once and starts it unless it runs; `stop` stops it if it runs.
# Installs Debian's PostgreSQL 15 server when its binaries are missing (as root, through apt). Run
# as root, the cluster belongs to the `postgres` user, since PostgreSQL refuses to run as root.
set -euo pipefail

# shellcheck source=deploy/local/lib/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib/common.sh"

PG_HOST="127.0.0.1"
PG_PORT="${SAKUSEI_POSTGRES_PORT:-15432}"
PG_DIR="${STATE_DIR}/postgres"
PG_DATA="${PG_DIR}/data"
PG_RUN="${PG_DIR}/run"
PG_LOG="${PG_DIR}/postgres.log"
PG_ENV="${PG_DIR}/postgres.env"
PG_USER="sakusei"

PG_PACKAGE="postgresql-15"

# install_server: Debian's PostgreSQL 15 server, once, when no server binaries are found.
install_server() {
  ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && return 0
  [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 \
    || die "PostgreSQL server not found: install ${PG_PACKAGE} (Debian: apt-get install -y ${PG_PACKAGE})"
  log "postgres: installing ${PG_PACKAGE} from Debian's packages"
  # policy-rc.d refuses service starts, so installing starts no system cluster of its own.
  local guard=""
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; guard=1; }
  chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PG_PACKAGE}" >&2
  [ -z "${guard}" ] || rm -f /usr/sbin/policy-rc.d
}

pg_bin() {
  local name="$1" dir
  if command -v "${name}" >/dev/null 2>&1; then command -v "${name}"; return 0; fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "${dir}/${name}" ] && { printf '%s\n' "${dir}/${name}"; return 0; }
  done
  die "${name} not found: install PostgreSQL (Debian: apt-get install -y postgresql)"
}

# as_owner CMD...: runs CMD as the cluster's owner (the postgres user when we are root).
as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { as_owner "$(pg_bin pg_ctl)" -D "${PG_DATA}" status >/dev/null 2>&1; }

init_cluster() {
  [ -f "${PG_DATA}/PG_VERSION" ] && return 0
  log "postgres: initialising a cluster in ${PG_DATA}"
  mkdir -p "${PG_DIR}" "${PG_RUN}"
  local password pwfile
  password="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  pwfile="$(mktemp)"
  printf '%s\n' "${password}" > "${pwfile}"
  if [ "$(id -u)" = "0" ]; then chown postgres "${PG_DIR}" "${PG_RUN}" "${pwfile}"; fi
  as_owner "$(pg_bin initdb)" -D "${PG_DATA}" -U "${PG_USER}" --pwfile="${pwfile}" --auth-local=scram-sha-256 \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"${PG_DIR}/initdb.log" 2>&1 \
    || { rm -f "${pwfile}"; tail_log "${PG_DIR}/initdb.log"; die "initdb failed"; }
  rm -f "${pwfile}"
  cat >> "${PG_DATA}/postgresql.conf" <<CONF
# Written by deploy/local/postgres.sh: loopback only.
listen_addresses = '${PG_HOST}'
port = ${PG_PORT}
unix_socket_directories = '${PG_RUN}'
CONF
  umask 077
  printf 'export SAKUSEI_POSTGRES_URL=postgresql+psycopg://%s:%s@%s:%s/postgres\n' \
    "${PG_USER}" "${password}" "${PG_HOST}" "${PG_PORT}" > "${PG_ENV}"
}

start() {
  install_server
  init_cluster
  if running; then
    log "postgres: running on ${PG_HOST}:${PG_PORT}"
    return 0
  fi
  port_busy "${PG_HOST}" "${PG_PORT}" && die "something else listens on ${PG_HOST}:${PG_PORT}"
  [ "$(id -u)" = "0" ] && chown postgres "${PG_DIR}" "${PG_RUN}" && touch "${PG_LOG}" && chown postgres "${PG_LOG}"
  as_owner "$(pg_bin pg_ctl)" -D "${PG_DATA}" -l "${PG_LOG}" -w -t "${READY_TIMEOUT}" start >/dev/null \
    || { tail_log "${PG_LOG}"; die "postgres did not start"; }
  log "postgres: started on ${PG_HOST}:${PG_PORT}; URL in ${PG_ENV}"
}

stop() {
  if ! [ -f "${PG_DATA}/PG_VERSION" ] || ! running; then
    log "postgres: not running"
    return 0
  fi
  as_owner "$(pg_bin pg_ctl)" -D "${PG_DATA}" -m fast -w -t "${STOP_TIMEOUT}" stop >/dev/null
  log "postgres: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
