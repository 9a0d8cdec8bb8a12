#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on a loopback port for the history
# tests, as the unprivileged postgres user, and prints its URL.
# Usage: eval "$(.ci/postgres.sh)"   (exports JML_TEST_POSTGRES_URL)
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 || {
      apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2; }
  else
    echo "postgresql is not installed and this is not root" >&2; exit 1
  fi
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
port=${JML_PG_PORT:-}
if [ -z "$port" ]; then
  # The first free loopback port from 55432.
  for p in $(seq 55432 55531); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
  done
fi
dir=$(mktemp -d /tmp/jml-pg.XXXXXX)
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
run "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
run "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" -w start >/dev/null
run "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres jml_test
echo "export JML_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:$port/jml_test?sslmode=disable'"
echo "export JML_PG_DIR='$dir'"
echo "export JML_PG_BIN='$bin'"
