#!/usr/bin/env bash
# Scale: a million API keys (docs/performance.md, "A million API keys"). Fills two data dirs, one
# with 1,000 keys and one with 1,000,000 (bench/load_keys.cpp: 16 keys a user, made and sealed
# by the server's own code, straight into the store), then, in interleaved rounds (1k, 1M, 1k,
# 1M, ...), for each:
#   - start-up: `keygate serve` (SQLite, no demo, bench/unlimited_rate_limits.toml, on core 1)
#     from its start to the first 200 from /readyz, and how much of it was the key load (the
#     log's store_ready -> keys_loaded);
#   - memory: VmRSS once ready (and VmHWM, the peak); the figure is RSS per key,
#     (RSS_1M - RSS_1k) / 999,000;
#   - signed GET /api/v3/account through HTTP (unless --no-http): wrk -t1 -c64 with
#     bench/http_transfers.lua (as bench/ceiling.sh), HMAC-signed by 1,000 keys spread evenly
#     over the store's keys, round robin, each request signed once; req/s, p99, server CPU per
#     request; any answer but 200 fails the run;
# and the gatekeeper alone (build/bench/kg_bench_gatekeeper) with 1,000 and with 1,000,000 keys
# in its index, invocations interleaved, three ways: every request by one key (the bench's
# default), each by one of 1,000 keys spread over the index ("active": the keys in use at a time,
# as the HTTP run signs), and each by any key of the index at random ("spread": the worst case,
# every request's key out of the cache). The goal: the gatekeeper with 1M keys within 5% of 1k.
#
#   bench/scale_keys.sh [--bin build/keygate] [--keys 1000000] [--small 1000] [--rounds 3]
#                       [--gate-pairs 3] [--gate-rounds 5] [--gate-requests 50000] [--duration 10]
#                       [--no-http] [--no-gate]
#
# Servers and the gatekeeper bench on core 1, wrk on core 0 (taskset, 2+ cores). Needs wrk, node,
# python3. The 1M data dir takes about 0.5 GB of disk in $TMPDIR (/tmp) while it runs.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=build/keygate
KEYS=1000000
SMALL=1000
ROUNDS=3
GATE_PAIRS=3
GATE_ROUNDS=5
GATE_REQUESTS=50000
DURATION=10
HTTP=1
GATE=1
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --keys) KEYS=$2; shift 2 ;;
    --small) SMALL=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --gate-pairs) GATE_PAIRS=$2; shift 2 ;;
    --gate-rounds) GATE_ROUNDS=$2; shift 2 ;;
    --gate-requests) GATE_REQUESTS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --no-http) HTTP=0; shift ;;
    --no-gate) GATE=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "scale_keys: unknown argument $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done

die() { echo "scale_keys: FAILED: $*" >&2; exit 1; }
# shellcheck source=bench/keygate_lib.sh
source bench/keygate_lib.sh
require node python3
[ $HTTP -eq 0 ] || require wrk
BENCH_DIR=$(dirname "$BIN")/bench
LOADER=$BENCH_DIR/kg_bench_load_keys
GATEKEEPER=$BENCH_DIR/kg_bench_gatekeeper
for b in "$BIN" "$LOADER" "$GATEKEEPER"; do [ -x "$b" ] || die "no $b (make build)"; done

pin_cores
PIN_NOTE="not pinned (taskset missing or fewer than 2 cores)"
[ $PINNED -eq 1 ] && PIN_NOTE="keygate and the gatekeeper bench on core 1, wrk on core 0"

KG_PID=
BENCH_PIDS="KG_PID"
bench_scratch scale

now_ns() { date +%s%N; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }  # PID FIELD (VmRSS, VmHWM)
# Milliseconds between two of the log's ISO times (2026-12-04T22:04:33.849Z).
log_ms() {
  python3 - "$1" "$2" "$3" <<'PY'
import datetime, re, sys
text = open(sys.argv[1]).read()
def at(event):
    m = re.search(r"^(\S+) level=\w+ event=" + event + r"\b", text, re.M)
    if not m:
        sys.exit("no " + event + " in the log")
    return datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ")
print(round((at(sys.argv[3]) - at(sys.argv[2])).total_seconds() * 1000))
PY
}

# The status of GET /readyz (no process started: the loop polls every 10 ms).
readyz() {
  local line=
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || { echo 000; return; }
  printf 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  read -r -t 5 line <&3 || true
  exec 3<&-
  line=${line#* }
  echo "${line%% *}"
}

# start_at DIR: keygate on DIR; sets KG_PID, KG_URL, S_start_ms (spawn to the first 200 from
# /readyz), S_load_ms (store_ready -> keys_loaded in the log), S_rss_kb, S_hwm_kb.
start_at() {
  local dir=$1 t0 port= ready=0
  t0=$(now_ns)
  "${SERVER_PIN[@]}" "$BIN" serve --config bench/unlimited_rate_limits.toml --listen 127.0.0.1:0 --data-dir "$dir" \
    >"$TMP/keygate.out" 2>"$TMP/keygate.err" &
  KG_PID=$!
  for _ in $(seq 30000); do  # up to about 5 minutes
    if [ -z "$port" ]; then
      port=$(sed -n 's#^keygate listening on http://127\.0\.0\.1:\([0-9]*\)$#\1#p' "$TMP/keygate.out")
    fi
    if [ -n "$port" ] && [ "$(readyz "$port")" = 200 ]; then
      ready=1
      break
    fi
    kill -0 "$KG_PID" 2>/dev/null || die "keygate exited at start"
    sleep 0.01
  done
  [ $ready -eq 1 ] || die "keygate was not ready in time"
  S_start_ms=$((($(now_ns) - t0) / 1000000))
  KG_URL=http://127.0.0.1:$port
  S_load_ms=$(log_ms "$TMP/keygate.err" store_ready keys_loaded)
  S_rss_kb=$(status_kb "$KG_PID" VmRSS)
  S_hwm_kb=$(status_kb "$KG_PID" VmHWM)
}

stop_server() {
  kill "$KG_PID" 2>/dev/null || true
  wait "$KG_PID" 2>/dev/null || true
  KG_PID=
}

# Signed account requests through wrk against the running server; sets H_rps, H_p99, H_cpu_us.
account_run() { # SAMPLE_JSON PREFIX
  local out=$TMP/wrk.txt reqs=$TMP/requests t0 t1 line
  node bench/http_gen.mjs "$1" "$2" $((DURATION * 140000)) "$reqs" account
  t0=$(cpu_ticks "$KG_PID")
  KG_REQUESTS=$reqs KG_ID_FIELD= KG_THREADS=1 KG_WRAP=0 KG_IDS_OUT= \
    "${CLIENT_PIN[@]}" wrk -t1 -c64 -d"${DURATION}s" --timeout 10s -s bench/http_transfers.lua "$KG_URL" >"$out" 2>&1 ||
    { cat "$out" >&2; die "wrk"; }
  t1=$(cpu_ticks "$KG_PID")
  line=$(grep '^KGBENCH ' "$out") || { cat "$out" >&2; die "no result line from wrk"; }
  for kv in ${line#KGBENCH }; do printf -v "R_${kv%%=*}" '%s' "${kv#*=}"; done
  if [ "$R_non200" -ne 0 ] || [ "$R_exhausted" -ne 0 ] || [ "$R_responses" -eq 0 ] ||
    [ $((R_err_connect + R_err_read + R_err_write + R_err_timeout)) -ne 0 ]; then
    grep '^KGBENCH' "$out" >&2
    die "signed account: answers other than 200, socket errors, timeouts or too few signed requests (above)"
  fi
  H_rps=$(awk -v n="$R_responses" -v s="$R_seconds" 'BEGIN {printf "%.0f", n / s}')
  H_p99=$R_p99_ms
  H_cpu_us=$(awk -v a="$t0" -v b="$t1" -v n="$R_responses" -v hz="$TICKS" 'BEGIN {printf "%.2f", (b - a) / hz * 1e6 / n}')
}

echo "scale: $(fmt0 "$SMALL") against $(fmt0 "$KEYS") API keys; keygate $BIN (SQLite, no demo)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -r), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $PIN_NOTE"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

declare -A DIRS=([small]=$TMP/small [large]=$TMP/large) COUNT=([small]=$SMALL [large]=$KEYS)
for size in small large; do
  t0=$(now_ns)
  "$LOADER" "${DIRS[$size]}" "${COUNT[$size]}" "${DIRS[$size]}.sample.json" 1000 2>/dev/null | tail -n 1
  echo "  (loader wall time $(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN {printf "%.1f", (b - a) / 1e9}') s; store $(du -sh "${DIRS[$size]}" | cut -f1))"
done
echo

: >"$TMP/results"
for i in $(seq "$ROUNDS"); do
  for size in small large; do
    start_at "${DIRS[$size]}"
    H_rps=- H_p99=- H_cpu_us=-
    [ $HTTP -eq 1 ] && account_run "${DIRS[$size]}.sample.json" "s$i$size"
    rss_after=$(status_kb "$KG_PID" VmRSS)
    stop_server
    echo "KGSCALE round=$i keys=${COUNT[$size]} start_ms=$S_start_ms load_ms=$S_load_ms rss_kb=$S_rss_kb hwm_kb=$S_hwm_kb rss_after_kb=$rss_after rps=$H_rps p99_ms=$H_p99 cpu_us=$H_cpu_us" |
      tee -a "$TMP/results"
  done
done

field() { # KEYS FIELD
  awk -v n="$1" -v k="$2" '{ delete f; for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    if (f["keys"] == n) print f[k] }' "$TMP/results"
}
med() { median $(field "$@"); }
echo
echo "medians of $ROUNDS rounds:"
echo "| keys | start-up to /readyz | of which loading the keys | RSS when ready | peak RSS (VmHWM) | RSS after the HTTP run | signed account req/s | p99 | server CPU µs/req |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in "$SMALL" "$KEYS"; do
  echo "| $(fmt0 "$n") | $(fmt0 "$(med "$n" start_ms)") ms | $(fmt0 "$(med "$n" load_ms)") ms | $(awk -v k="$(med "$n" rss_kb)" 'BEGIN {printf "%.0f MiB", k / 1024}') | $(awk -v k="$(med "$n" hwm_kb)" 'BEGIN {printf "%.0f MiB", k / 1024}') | $(awk -v k="$(med "$n" rss_after_kb)" 'BEGIN {printf "%.0f MiB", k / 1024}') | $([ $HTTP -eq 1 ] && fmt0 "$(med "$n" rps)" || echo -) | $([ $HTTP -eq 1 ] && echo "$(med "$n" p99_ms) ms" || echo -) | $([ $HTTP -eq 1 ] && med "$n" cpu_us || echo -) |"
done
per_key=$(awk -v a="$(med "$KEYS" rss_kb)" -v b="$(med "$SMALL" rss_kb)" -v n="$((KEYS - SMALL))" 'BEGIN {printf "%.0f", (a - b) * 1024 / n}')
peak_key=$(awk -v a="$(med "$KEYS" hwm_kb)" -v b="$(med "$SMALL" hwm_kb)" -v n="$((KEYS - SMALL))" 'BEGIN {printf "%.0f", (a - b) * 1024 / n}')
echo "RSS per key: $per_key bytes when ready ((RSS_$KEYS - RSS_$SMALL) / $((KEYS - SMALL))), $peak_key bytes at the peak"
echo "start-up: $(awk -v a="$(med "$KEYS" start_ms)" -v b="$(med "$SMALL" start_ms)" 'BEGIN {printf "%.1f", a / b}')x with $(fmt0 "$KEYS") keys; $(awk -v a="$(med "$KEYS" load_ms)" -v b="$(med "$SMALL" load_ms)" -v n="$((KEYS - SMALL))" 'BEGIN {printf "%.1f", (a - b) * 1000 / n}') µs of key loading per key"
if [ $HTTP -eq 1 ]; then
  ratio=$(paste <(field "$KEYS" rps) <(field "$SMALL" rps) | awk '{printf "%.3f\n", $1 / $2}' | sort -g |
    awk '{a[NR]=$1} END {printf "%.3f", (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
  echo "signed account through HTTP: $(fmt0 "$KEYS") keys / $(fmt0 "$SMALL") keys req/s = $ratio (median of the per-round ratios)"
fi

if [ $GATE -eq 1 ]; then
  echo
  echo "gatekeeper alone ($GATEKEEPER $SMALL|$KEYS $GATE_ROUNDS $GATE_REQUESTS one|active|spread), $GATE_PAIRS interleaved pairs of invocations a mode, each the median of its rounds:"
  : >"$TMP/gate"
  for mode in one active spread; do
    for i in $(seq "$GATE_PAIRS"); do
      for n in "$SMALL" "$KEYS"; do
        line=$("${SERVER_PIN[@]}" "$GATEKEEPER" "$n" "$GATE_ROUNDS" "$GATE_REQUESTS" "$mode" 2>/dev/null | grep '^KGGATE ') ||
          die "kg_bench_gatekeeper $n $mode"
        echo "$line pair=$i" | tee -a "$TMP/gate"
      done
    done
  done
  gfield() { # MODE KEYS FIELD
    awk -v m="$1" -v n="$2" -v k="$3" '{ delete f; for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      if (f["mode"] == m && f["keys"] == n) print f[k] }' "$TMP/gate"
  }
  echo
  echo "| requests signed by | keys | bare HMAC | whole gatekeeper | checks/s | gatekeeper $(fmt0 "$KEYS") / $(fmt0 "$SMALL") (goal <= 1.05) |"
  echo "|---|---|---|---|---|---|"
  for mode in one active spread; do
    case $mode in
      one) what="one key" ;;
      active) what="1,000 keys at random" ;;
      spread) what="any key at random" ;;
    esac
    r=$(paste <(gfield $mode "$KEYS" gate_ns) <(gfield $mode "$SMALL" gate_ns) | awk '{printf "%.3f\n", $1 / $2}' | sort -g |
      awk '{a[NR]=$1} END {printf "%.3f", (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
    for n in "$SMALL" "$KEYS"; do
      g=$(median $(gfield $mode "$n" gate_ns))
      echo "| $what | $(fmt0 "$n") | $(fmt0 "$(median $(gfield $mode "$n" hmac_ns))") ns | $(fmt0 "$g") ns | $(fmt0 "$(awk -v g="$g" 'BEGIN {print 1e9 / g}')") | $([ "$n" = "$KEYS" ] && echo "$r ($(awk -v r="$r" 'BEGIN {print (r <= 1.05 ? "met" : "NOT met")}'))" || echo) |"
    done
  done
fi
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
