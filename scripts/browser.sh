#!/usr/bin/env bash
# The web console in headless Chromium (tests/browser): installs the locked playwright-core with
# npm ci, then runs node --test there against build/keygate, or the binary named by KEYGATE_BIN
# (relative to the repo root), driving Debian's /usr/bin/chromium (KEYGATE_CHROMIUM to change it).
# Runs on PostgreSQL too when KEYGATE_TEST_PG_URL is set, e.g.
#   bash scripts/with-postgres.sh bash scripts/browser.sh
# KEYGATE_SCREENSHOTS=1 rewrites docs/screenshots/*.png. Exits with the test run's status.
set -euo pipefail
cd "$(dirname "$0")/../tests/browser"
npm ci --no-audit --no-fund
set +e
node --test --test-concurrency=1 --test-reporter=spec .
status=$?
exit "$status"
