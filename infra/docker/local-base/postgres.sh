#!/bin/sh
# Debian's PostgreSQL started the way the official postgres image starts: a first start
# creates the cluster with POSTGRES_USER as superuser, POSTGRES_PASSWORD (scram-sha-256 over
# the network) and the database POSTGRES_DB; every start runs the server as `postgres`.
set -eu
bin=/usr/lib/postgresql/15/bin
data=/var/lib/postgresql/data
mkdir -p "$data" /run/postgresql
chown postgres:postgres "$data" /run/postgresql
chmod 700 "$data"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
if [ ! -s "$data/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is not set}" > "$pwfile"
  chown postgres "$pwfile"
  as_postgres "$bin/initdb" -D "$data" --username="${POSTGRES_USER:-postgres}" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 > /dev/null
  rm -f "$pwfile"
  echo 'host all all all scram-sha-256' >> "$data/pg_hba.conf"
  if [ "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\";" | as_postgres "$bin/postgres" --single -D "$data" postgres > /dev/null
  fi
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$bin/postgres" -D "$data" -c listen_addresses='*'
