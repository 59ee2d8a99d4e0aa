#!/bin/sh
# One database and one login role per service, each role's password from the service's
# Secret (sakusei-db-<service>, mounted at /etc/postgres-passwords/<service>).
# Idempotent: creates what is missing, resets each role's password to its Secret (so a
# rotated Secret takes effect on the next run) and re-asserts ownership and privileges.
set -eu

export PGHOST=postgres PGPORT=5432 PGUSER=sakusei PGDATABASE=postgres
# PGPASSWORD (the superuser's) comes from the Secret sakusei-postgres.

until pg_isready -q; do
  echo "postgres-setup: waiting for postgres:5432"
  sleep 3
done

for service in intake review transform delivery; do
  file="/etc/postgres-passwords/$service"
  if [ ! -s "$file" ]; then
    echo "postgres-setup: no password for $service (Secret sakusei-db-$service, key password)" >&2
    exit 1
  fi
  # The password reaches psql through a file read by psql itself, never the command line.
  psql -X -q -v ON_ERROR_STOP=1 -v service="$service" -v password_file="$file" \
    -f /etc/postgres-setup/service.sql
  echo "postgres-setup: database and role $service ready"
done
