#!/usr/bin/env bash
# A throw-away PostgreSQL server from Debian's packages, on a local port, for the tests.
#   source scripts/postgres.sh start   # installs the package when missing (as root), starts a server in a
#                                      # temporary folder, exports FLAIR_HPO_TEST_POSTGRES (a storage URL)
#   bash scripts/postgres.sh stop      # stops it and removes its folder
#   bash scripts/postgres.sh halt      # an outage: stops it at once, as a crash would (the data stays)
#   bash scripts/postgres.sh resume    # starts it again after a halt
# The server accepts passwords only over TCP (scram-sha-256), so the tests also see a URL with a password.
# FLAIR_HPO_TEST_POSTGRES_PORT (default 55432) picks the port; each port is a server of its own.
set -euo pipefail

_pg_port=${FLAIR_HPO_TEST_POSTGRES_PORT:-55432}
_pg_state=/tmp/flair-hpo-postgres-$_pg_port.dir

_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

_pg_as_owner() {  # PostgreSQL refuses to run as root: run as its own user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

_pg_start() {
  if [ -z "$(_pg_bin)" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
      echo "PostgreSQL is not installed: apt-get install postgresql" >&2; return 1
    fi
  fi
  local bin data
  bin=$(_pg_bin)
  data=$(mktemp -d /tmp/flair-hpo-postgres.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres: "$data"
  echo "flair-hpo-test-secret" >"$data/pw" && chmod 600 "$data/pw"
  [ "$(id -u)" = 0 ] && chown postgres: "$data/pw"
  _pg_as_owner "$bin/initdb" -D "$data/db" -U flair --pwfile="$data/pw" \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  _pg_as_owner "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -s \
    -o "-p $_pg_port -k $data -c listen_addresses=127.0.0.1 -c max_connections=200" start
  _pg_as_owner "$bin/createdb" -h "$data" -p "$_pg_port" -U flair flair_hpo_test
  echo "$data" >"$_pg_state"
  export FLAIR_HPO_TEST_POSTGRES="postgresql://flair:flair-hpo-test-secret@127.0.0.1:$_pg_port/flair_hpo_test"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$_pg_port"
}

_pg_stop() {
  [ -f "$_pg_state" ] || return 0
  local data
  data=$(cat "$_pg_state")
  _pg_as_owner "$(_pg_bin)/pg_ctl" -D "$data/db" -w -s -m fast stop || true
  rm -rf "$data" "$_pg_state"
}

_pg_halt() {
  _pg_as_owner "$(_pg_bin)/pg_ctl" -D "$(cat "$_pg_state")/db" -w -s -m immediate stop
}

_pg_resume() {
  local data
  data=$(cat "$_pg_state")
  _pg_as_owner "$(_pg_bin)/pg_ctl" -D "$data/db" -l "$data/server.log" -w -s \
    -o "-p $_pg_port -k $data -c listen_addresses=127.0.0.1 -c max_connections=200" start
}

case "${1:-}" in
  start) _pg_start ;;
  stop) _pg_stop ;;
  halt) _pg_halt ;;
  resume) _pg_resume ;;
  *) echo "usage: source scripts/postgres.sh start | bash scripts/postgres.sh stop|halt|resume" >&2; return 2 2>/dev/null || exit 2 ;;
esac
