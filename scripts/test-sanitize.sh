#!/usr/bin/env bash
# The unit tests and the integration tests again, on a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (KEYGATE_SANITIZE=ON, in build-asan). Every report is fatal, and each
# process writes its reports to a file under $REPORTS, so a report from a process whose exit no
# test looks at (a server killed at the end of a test, the admin CLI) fails the run too: the run
# passes only with 0 reports. Run by scripts/run-tests.sh (`make test`) and `make test-sanitize`.
# Extra arguments go to the integration tests' node (e.g. --test-name-pattern=ledger).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${SANITIZE_BUILD_DIR:-build-asan}
REPORTS=$(mktemp -d "${TMPDIR:-/tmp}/kg-sanitizer.XXXXXX")

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
  -DKEYGATE_SANITIZE=ON -DKEYGATE_BENCH=OFF > /dev/null
cmake --build "$BUILD"

# detect_leaks: a server that exits normally (SIGTERM) must have freed what it allocated.
export ASAN_OPTIONS="log_path=$REPORTS/asan:detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="log_path=$REPORTS/ubsan:print_stacktrace=1:halt_on_error=1"
status=0
echo "== sanitizers: unit tests =="
(cd "$BUILD" && ctest --output-on-failure -j2) || status=1
echo "== sanitizers: integration tests =="
# Every suite runs; the volume suites with less volume than the plain run (which makes the R1 and
# R4 figures): the sanitizers look for memory and UB errors, which the paths show, not the counts.
export KEYGATE_MONEY_R1_OPS=${KEYGATE_MONEY_R1_OPS:-20000} KEYGATE_MONEY_R4_KILLS=${KEYGATE_MONEY_R4_KILLS:-8}
KEYGATE_BIN="$BUILD/keygate" bash tests/integration/run.sh "$@" 2>&1 | tee "$REPORTS/integration.log" || status=1

shopt -s nullglob
reports=("$REPORTS"/asan* "$REPORTS"/ubsan*)
if (( ${#reports[@]} > 0 )); then
  echo "sanitizers: ${#reports[@]} report(s):"
  for r in "${reports[@]}"; do echo "--- $r"; head -60 "$r"; done
  status=1
else
  echo "sanitizers: 0 reports"
fi
[[ $status -eq 0 ]] && rm -rf "$REPORTS"
exit $status
