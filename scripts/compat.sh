#!/usr/bin/env bash
# keygate against the unmodified official Binance Node clients (tests/compat): installs the
# locked client versions with npm ci, then runs node --test there. Uses build/keygate, or the
# binary named by KEYGATE_BIN (relative to the repo root); runs on PostgreSQL too when
# KEYGATE_TEST_PG_URL is set, e.g.  bash scripts/with-postgres.sh bash scripts/compat.sh
# Exits with the test run's status.
set -euo pipefail
cd "$(dirname "$0")/../tests/compat"
npm ci --no-audit --no-fund
set +e
node --test --test-concurrency=1 .
status=$?
exit "$status"
