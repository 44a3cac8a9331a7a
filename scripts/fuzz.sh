#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan + UBSan) and runs each, in name order, for
# SECONDS (default 30) over a copy of its corpus in the repo. New inputs stay in build-fuzz/.
# The run fails if a target crashes, breaks one of its oracles (they abort), or averages fewer
# than 1,000 executions per second. Usage: scripts/fuzz.sh [SECONDS] [TARGET...] (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-30}
shift || true
OUT=build-fuzz
MIN_EXEC_PER_SEC=1000
mkdir -p "$OUT"

# target name -> sources it needs besides its own file (tests/fuzz/fuzz_<name>.cpp)
declare -A TARGETS=(
  [params]="src/common/query.cpp src/common/decimal.cpp"
  [decimal]="src/common/decimal.cpp"
  [json_body]="src/api/json_body.cpp"
  [ws_frame]="src/api/ws_frame.cpp"
  [pem]="src/crypto/encoding.cpp src/crypto/signature.cpp src/crypto/sealer.cpp src/crypto/random.cpp"
  [http_request]="src/common/query.cpp src/common/decimal.cpp src/api/router.cpp src/keys/ip_allowlist.cpp"
)
# target name -> libraries it links besides fmt
declare -A LIBS=(
  [json_body]="-lboost_json"
  [ws_frame]="-lboost_json"
  [pem]="-lcrypto -lsodium -loath"
)
# target name -> extra compiler flags (for every source of the target)
declare -A FLAGS=(
  [http_request]="-DBOOST_ENABLE_ASSERT_DEBUG_HANDLER"  # see fuzz_http_request.cpp
)

if [ $# -gt 0 ]; then
  names=("$@")
else
  mapfile -t names < <(printf '%s\n' "${!TARGETS[@]}" | sort)
fi

failed=()
for name in "${names[@]}"; do
  [ -n "${TARGETS[$name]+x}" ] || { echo "unknown target: $name"; exit 2; }
  bin="$OUT/fuzz_$name"
  # shellcheck disable=SC2086
  clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    ${FLAGS[$name]:-} -Isrc "tests/fuzz/fuzz_$name.cpp" ${TARGETS[$name]} -lfmt ${LIBS[$name]:-} -o "$bin"
  work="$OUT/corpus_$name"
  mkdir -p "$work"
  echo "fuzz_$name: ${SECONDS_PER_TARGET}s"
  log="$OUT/fuzz_$name.log"
  if ! "$bin" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -artifact_prefix="$OUT/fuzz_$name-" \
      "$work" "tests/fuzz/corpus/$name" 2> "$log"; then
    tail -40 "$log"
    echo "  fuzz_$name FAILED (crash or oracle violation; the input is in $OUT/fuzz_$name-*)"
    failed+=("$name")
    continue
  fi
  execs=$(awk '/stat::number_of_executed_units:/ {print $2}' "$log")
  rate=$(awk '/stat::average_exec_per_sec:/ {print $2}' "$log")
  echo "  execs: ${execs:-?}  exec/s: ${rate:-?}"
  if [ -z "$rate" ] || [ "$rate" -lt "$MIN_EXEC_PER_SEC" ]; then
    echo "  fuzz_$name FAILED (fewer than $MIN_EXEC_PER_SEC exec/s)"
    failed+=("$name")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzzing passed: ${names[*]}"
