#!/usr/bin/env bash
# Crash torture for a release (`make torture`): R4 (reliability-security.md) for KILLS kill -9
# cycles in all (default 1,000), as runs of 20 stops each on a fresh server, every run with its own
# seed, on SQLite and on PostgreSQL (scripts/with-postgres.sh). A run's seed is printed, and
# KEYGATE_MONEY_SEED=<seed> KEYGATE_MONEY_R4_KILLS=20 node --test tests/integration/money_r4.test.mjs
# replays it. CI runs one run of 20 per backend (`make test`).
set -euo pipefail
cd "$(dirname "$0")/.."
KILLS=${1:-1000}
PER_RUN=20
RUNS=$(( (KILLS + PER_RUN - 1) / PER_RUN ))
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/kg-torture.XXXXXX")
echo "torture: $RUNS runs of $PER_RUN kill -9 cycles on SQLite and PostgreSQL (logs in $LOGS)"
t0=$(date +%s)
for run in $(seq 1 "$RUNS"); do
  log="$LOGS/run-$run.log"
  if ! KEYGATE_MONEY_R4_KILLS=$PER_RUN bash scripts/with-postgres.sh \
      node --test --test-reporter=spec tests/integration/money_r4.test.mjs > "$log" 2>&1; then
    grep -E "seed|✖|not ok|Error" "$log" | head -40
    echo "torture: run $run FAILED (log: $log)"
    exit 1
  fi
  echo "run $run/$RUNS: $(grep -oE 'R4 (sqlite|postgres): [0-9]+ stops, [0-9]+ acknowledged money operations kept' "$log" | tr '\n' ';') $(( $(date +%s) - t0 )) s"
done
echo "torture: $(( RUNS * PER_RUN )) kill -9 cycles per backend, 0 acknowledged operations lost ($(( $(date +%s) - t0 )) s)"
rm -rf "$LOGS"
