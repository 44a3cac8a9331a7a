#!/usr/bin/env bash
# Every test suite, in order; run by `make test` inside scripts/with-postgres.sh so that
# KEYGATE_TEST_PG_URL points at a throwaway PostgreSQL and each suite runs on both backends.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}

echo "== unit tests and fuzz corpus replay (SQLite and PostgreSQL) =="
(cd "$BUILD_DIR" && ctest --output-on-failure -j2)

echo "== libFuzzer: short run of every target =="
bash scripts/fuzz.sh "${KEYGATE_FUZZ_SECONDS:-60}"

echo "== compatibility: the official Binance Node clients against the real binary =="
bash scripts/compat.sh
bash scripts/browser.sh

echo "== integration tests: the real binary on SQLite and PostgreSQL =="
bash tests/integration/run.sh

echo "== sanitizers: unit and integration tests on an ASan + UBSan build =="
bash scripts/test-sanitize.sh
