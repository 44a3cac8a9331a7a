#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL 15 cluster on 127.0.0.1.
#
#   scripts/with-postgres.sh CMD [ARGS...]
#
# Starts a fresh cluster (trust auth, user "postgres") in a temporary directory on a free
# port, exports KEYGATE_TEST_PG_URL=postgresql://postgres@127.0.0.1:PORT/postgres, runs the
# command, then stops the cluster and removes the directory (also on failure or interrupt).
# fsync is off (tests need no durability) unless PG_FSYNC=on, as `make bench` sets it to
# measure durable commits.
# Exits with the command's status.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [[ ! -x "$PGBIN/initdb" || ! -x "$PGBIN/pg_ctl" ]]; then
  echo "with-postgres: PostgreSQL 15 binaries not found in $PGBIN" >&2
  exit 1
fi

# initdb refuses to run as root: run the server binaries as "postgres" then.
if [[ $(id -u) -eq 0 ]]; then
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

D=$(mktemp -d "${TMPDIR:-/tmp}/kg-pg.XXXXXX")
STARTED=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ $STARTED -eq 1 ]]; then
    as_pg "$PGBIN/pg_ctl" -D "$D/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$D"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ $(id -u) -eq 0 ]]; then
  chown postgres:postgres "$D"
fi

as_pg "$PGBIN/initdb" -D "$D/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
  --no-sync >"$D/initdb.log" 2>&1 || {
  echo "with-postgres: initdb failed:" >&2
  cat "$D/initdb.log" >&2
  exit 1
}

# A free port can be taken between the probe and the start; retry a few times.
PORT=
for _ in 1 2 3 4 5; do
  PORT=$(free_port)
  if as_pg "$PGBIN/pg_ctl" -D "$D/data" -l "$D/log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $D -c fsync=${PG_FSYNC:-off}" start >/dev/null; then
    STARTED=1
    break
  fi
done
if [[ $STARTED -ne 1 ]]; then
  echo "with-postgres: the cluster did not start:" >&2
  cat "$D/log" >&2 || true
  exit 1
fi

export KEYGATE_TEST_PG_URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
echo "with-postgres: PostgreSQL running at $KEYGATE_TEST_PG_URL" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
