#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan + UBSan) and runs each for SECONDS (default 30)
# over a copy of its corpus in the repo. New inputs stay in build-fuzz/; a crash fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-30}
OUT=build-fuzz
mkdir -p "$OUT"

# target name -> sources it needs besides its own file
declare -A TARGETS=(
  [params]="src/common/query.cpp src/common/decimal.cpp"
)

for name in "${!TARGETS[@]}"; do
  bin="$OUT/fuzz_$name"
  # shellcheck disable=SC2086
  clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Isrc "tests/fuzz/fuzz_$name.cpp" ${TARGETS[$name]} -lfmt -o "$bin"
  work="$OUT/corpus_$name"
  mkdir -p "$work"
  echo "fuzz_$name: ${SECONDS_PER_TARGET}s"
  "$bin" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -artifact_prefix="$OUT/" "$work" "tests/fuzz/corpus/$name" \
    2> "$OUT/fuzz_$name.log" || { tail -40 "$OUT/fuzz_$name.log"; echo "fuzz_$name FAILED"; exit 1; }
  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec" "$OUT/fuzz_$name.log" | sed "s/^/  /"
done
