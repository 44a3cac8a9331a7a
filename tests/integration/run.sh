#!/usr/bin/env bash
# keygate integration tests: node --test over tests/integration/ against build/keygate.
# Runs every test for SQLite, and for PostgreSQL too when KEYGATE_TEST_PG_URL is set, e.g.
#   bash scripts/with-postgres.sh bash tests/integration/run.sh
# Extra arguments go to node (e.g. --test-name-pattern=accounts).
set -uo pipefail
cd "$(dirname "$0")/../.."
node --experimental-websocket --no-warnings=ExperimentalWarning --test --test-concurrency=1 --test-reporter=spec "$@" tests/integration/
exit $?
