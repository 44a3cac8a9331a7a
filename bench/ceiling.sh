#!/usr/bin/env bash
# The HTTP ceiling (docs/performance.md, "HTTP ceiling"): requests per second, latency and server
# CPU per request of keygate against nginx answering a fixed `{}`, with the same wrk settings,
# the same wrk script and the same request file, in one invocation, runs interleaved (keygate,
# nginx, keygate, nginx, ...), on four kinds of request:
#
#   ping             GET /api/v3/ping (no key; the same request over and over)
#   account          GET /api/v3/account signed with an HMAC_SHA256 key (READ)
#   account-ed25519  GET /api/v3/account signed with an ED25519 key (READ)
#   order            POST /api/v3/order, durable: a buyer's LIMIT GTC BUY 0.001 BTCUSDT at 60000
#                    alternating with a seller's SELL of the same (half rest, half trade; as
#                    `http_transfers.sh --kind orders`), newOrderRespType=RESULT
#
#   bench/ceiling.sh [--bin build/keygate] [--runs 5] [--duration 10] [--connections 64]
#                    [--threads 1] [--warmup 2] [--scenarios "ping account account-ed25519 order"]
#                    [--max-rate N] [--ed25519-bench PATH|none] [--no-plain]
#                    [--bin-b OTHER_KEYGATE] [--no-nginx]
#
#   --max-rate       signed requests made per second of a keygate run (default: 140000 for
#                    account, 25000 for account-ed25519, 30000 for order); running out fails the run
#   --ed25519-bench  kg_bench_ed25519 (default: next to --bin, bench/kg_bench_ed25519), run on the
#                    servers' core in every round: the libsodium verify limit the Ed25519 figure is
#                    compared with; none: skip it
#   --no-plain       skip the check on the client's own ceiling (wrk without the script against
#                    nginx, once a round)
#   --bin-b          a second keygate binary measured the same way, right after the first, in every
#                    round (bench/compare uses it: the figures of B and the ratio B/A)
#   --no-nginx       no nginx runs (with --bin-b: only the two keygates)
#
# Every signed request is signed once (bench/http_gen.mjs: distinct microsecond timestamps for
# account, distinct newClientOrderId for order, recvWindow=60000, made just before the keygate run
# that sends it) and sent at most once to keygate; nginx gets the same file (starting over when it
# runs out). Any answer but 200, a socket error, a timeout, or a keygate run running out of signed
# requests fails the benchmark; after each keygate order run every newClientOrderId answered 200 must
# be a row of `orders` (bench/http_verify.py), and at the end `keygate admin ledger verify` must
# pass. keygate runs `serve --demo --no-market-maker` (SQLite) with bench/unlimited_rate_limits.toml.
# Server CPU is utime+stime from /proc/<pid>/stat (keygate: the whole process; nginx: its worker)
# before and after a run, divided by the answers. Servers on core 1, wrk on core 0 (taskset, 2+
# cores). Needs wrk, nginx, node and python3 (scripts/install-deps.sh --bench).
#
# Each run prints a line "KGCEIL run=N scenario=S target=T rps=... p50_ms=... p99_ms=... cpu_us=...
# cpu_pct=..." (for scripts), and the end a table of medians and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=build/keygate
BIN_B=
RUNS=5
DURATION=10
CONNECTIONS=64
THREADS=1
WARMUP=2
SCENARIOS="ping account account-ed25519 order"
MAX_RATE=
ED_BENCH=
PLAIN=1
NGINX_ON=1
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --bin-b) BIN_B=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --max-rate) MAX_RATE=$2; shift 2 ;;
    --ed25519-bench) ED_BENCH=$2; shift 2 ;;
    --no-plain) PLAIN=0; shift ;;
    --no-nginx) NGINX_ON=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "ceiling: unknown argument $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done

die() { echo "ceiling: FAILED: $*" >&2; exit 1; }
# shellcheck source=bench/keygate_lib.sh
source bench/keygate_lib.sh
require wrk node python3
[ $NGINX_ON -eq 0 ] || require nginx
[ -x "$BIN" ] || die "no keygate binary at $BIN (make build)"
[ -z "$BIN_B" ] || [ -x "$BIN_B" ] || die "no keygate binary at $BIN_B"
[ -n "$ED_BENCH" ] || ED_BENCH=$(dirname "$BIN")/bench/kg_bench_ed25519
case " $SCENARIOS " in *" account-ed25519 "*) ;; *) ED_BENCH=none ;; esac
[ "$ED_BENCH" = none ] || [ -x "$ED_BENCH" ] || die "no $ED_BENCH (build it, or --ed25519-bench none)"
for s in $SCENARIOS; do
  case "$s" in ping|account|account-ed25519|order) ;; *) die "unknown scenario $s" ;; esac
done

pin_cores
PIN_NOTE="not pinned (taskset missing or fewer than 2 cores)"
[ $PINNED -eq 1 ] && PIN_NOTE="servers on core 1, wrk on core 0"

KG_PID=
NGINX_PID=
SERVER_PIDS=()
BENCH_PIDS="KG_PID NGINX_PID"
bench_scratch ceiling

# start_server NAME BIN: a keygate in $TMP/NAME with the ceiling's users (two funded users with
# READ+TRADE HMAC keys, an ED25519 key on the first); sets PID_NAME, URL_NAME, DIR_NAME.
start_server() {
  local name=$1 outer_tmp=$TMP outer_bin=$BIN
  TMP=$TMP/$name BIN=$2
  mkdir -p "$TMP"
  start_keygate -- --no-market-maker
  SERVER_PIDS+=("$KG_PID")
  setup_users ceiling
  deposit 0 USDT 100000000
  deposit 1 BTC 100000  # the seller: 0.001 BTC an order, far more than any run sells
  printf -v "PID_$name" '%s' "$KG_PID"
  printf -v "URL_$name" '%s' "$KG_URL"
  printf -v "DIR_$name" '%s' "$KG_DIR"
  TMP=$outer_tmp BIN=$outer_bin
}

TARGETS=(a)
start_server a "$BIN"
if [ -n "$BIN_B" ]; then
  TARGETS+=(b)
  start_server b "$BIN_B"
fi
if [ $NGINX_ON -eq 1 ]; then
  TARGETS+=(nginx)
  start_nginx '{}'
fi
target_name() { case "$1" in a) echo keygate ;; b) echo keygate-b ;; *) echo "$1" ;; esac; }

default_rate() {
  case "$1" in
    account) echo 140000 ;;
    account-ed25519) echo 25000 ;;
    order) echo 30000 ;;
  esac
}

# sign SCENARIO PREFIX SECONDS TARGET: the request file for one run against keygate TARGET (a, b;
# each has its own keys), in $TMP/requests-TARGET.
sign() {
  local scen=$1 prefix=$2 secs=$3 t=$4 kind count out=$TMP/requests-$4
  case "$scen" in
    ping) node bench/http_gen.mjs "$TMP/$t/setup.json" "$prefix" 1000 "$out" ping; return ;;
    order) kind=orders ;;
    *) kind=$scen ;;
  esac
  count=$((secs * ${MAX_RATE:-$(default_rate "$scen")}))
  node bench/http_gen.mjs "$TMP/$t/setup.json" "$prefix" "$count" "$out" "$kind"
}

# run_wrk SCENARIO TARGET(a|b|nginx) REQUESTS SECONDS PREFIX: sets R_* from the wrk script's line,
# R_cpu_us (server CPU per answer) and R_cpu_pct (share of one core).
run_wrk() {
  local scen=$1 target=$2 reqs=$3 secs=$4 prefix=$5 url pid wrap=0 ids= id_field= out t0 t1 line
  local threads=$THREADS
  [ "$threads" -gt "$CONNECTIONS" ] && threads=$CONNECTIONS
  case "$target" in
    nginx) url=http://127.0.0.1:$NGINX_PORT pid=$NGINX_WORKER wrap=1 ;;
    *)
      url=URL_$target pid=PID_$target
      url=${!url} pid=${!pid}
      [ "$scen" = order ] && ids=$TMP/ids-$target-$prefix id_field=clientOrderId
      ;;
  esac
  [ "$scen" = ping ] && wrap=1  # the same unsigned request over and over
  out=$TMP/wrk-$target-$prefix.txt
  t0=$(cpu_ticks "$pid")
  KG_REQUESTS=$reqs KG_ID_FIELD=$id_field KG_THREADS=$threads KG_WRAP=$wrap KG_IDS_OUT=$ids \
    "${CLIENT_PIN[@]}" wrk -t"$threads" -c"$CONNECTIONS" -d"${secs}s" --timeout 10s -s bench/http_transfers.lua "$url" \
    >"$out" 2>&1 || { cat "$out" >&2; die "wrk against $(target_name "$target")"; }
  t1=$(cpu_ticks "$pid")
  line=$(grep '^KGBENCH ' "$out") || { cat "$out" >&2; die "no result line from wrk against $(target_name "$target")"; }
  for kv in ${line#KGBENCH }; do printf -v "R_${kv%%=*}" '%s' "${kv#*=}"; done
  if [ "$R_non200" -ne 0 ] || [ "$R_exhausted" -ne 0 ] || [ "$R_noid" -ne 0 ] || [ "$R_responses" -eq 0 ] ||
    [ $((R_err_connect + R_err_read + R_err_write + R_err_timeout)) -ne 0 ]; then
    grep '^KGBENCH' "$out" >&2
    [ "$R_exhausted" -ne 0 ] && echo "ran out of signed requests: raise --max-rate" >&2
    die "$scen, $(target_name "$target"): answers other than 200, socket errors or timeouts (above)"
  fi
  R_rps=$(awk -v n="$R_responses" -v s="$R_seconds" 'BEGIN {printf "%.0f", n / s}')
  R_cpu_us=$(awk -v a="$t0" -v b="$t1" -v n="$R_responses" -v hz="$TICKS" 'BEGIN {printf "%.2f", (b - a) / hz * 1e6 / n}')
  R_cpu_pct=$(awk -v a="$t0" -v b="$t1" -v s="$R_seconds" -v hz="$TICKS" 'BEGIN {printf "%.0f", (b - a) / hz / s * 100}')
  if [ -n "$ids" ]; then
    local dir=DIR_$target
    python3 bench/http_verify.py --sqlite "${!dir}/keygate.db" --kind orders --prefix "$prefix" --ids "$ids" \
      --ok "$R_ok" --sent "$R_sent" >"$TMP/verify-$target-$prefix" ||
      { cat "$TMP/verify-$target-$prefix" >&2; die "durability check of $prefix"; }
  fi
}

# wrk without the script against nginx (GET /, `{}`): the client's own ceiling.
run_plain() {
  local out=$TMP/wrk-plain.txt
  "${CLIENT_PIN[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s "http://127.0.0.1:$NGINX_PORT/" \
    >"$out" 2>&1 || { cat "$out" >&2; die "plain wrk against nginx"; }
  grep -Eq 'Non-2xx|Socket errors' "$out" && { cat "$out" >&2; die "plain wrk against nginx: errors"; }
  P_rate=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
}

ed25519_limit() {
  local line
  line=$("${SERVER_PIN[@]}" "$ED_BENCH" 7 3000 | grep '^KGED25519 ') || die "kg_bench_ed25519"
  for kv in ${line#KGED25519 }; do printf -v "E_${kv%%=*}" '%s' "${kv#*=}"; done
}

# One scenario against every target, keygate first: each keygate gets a fresh file of its own.
round() { # RUN_LABEL SECONDS
  local label=$1 secs=$2 scen t prefix reqs
  for scen in $SCENARIOS; do
    prefix=${label}${scen//[^a-z0-9]/}
    reqs=
    for t in "${TARGETS[@]}"; do
      if [ "$t" != nginx ]; then
        sign "$scen" "$prefix" "$secs" "$t"
        reqs=$TMP/requests-$t
      fi
      run_wrk "$scen" "$t" "$reqs" "$secs" "$prefix"
      echo "KGCEIL run=$label scenario=$scen target=$(target_name "$t") rps=$R_rps p50_ms=$R_p50_ms p99_ms=$R_p99_ms max_ms=$R_max_ms cpu_us=$R_cpu_us cpu_pct=$R_cpu_pct responses=$R_responses" |
        tee -a "$TMP/results"
    done
  done
}

names=()
for t in "${TARGETS[@]}"; do names+=("$(target_name "$t")"); done
echo "HTTP ceiling: ${names[*]}; scenarios: $SCENARIOS"
echo "keygate: $BIN${BIN_B:+, keygate-b: $BIN_B} (serve --demo --no-market-maker, SQLite, rate limits no run reaches); nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //'), one worker, return 200 '{}'"
echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s with bench/http_transfers.lua for every target, $RUNS runs interleaved; $PIN_NOTE"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

if [ "$WARMUP" -gt 0 ]; then
  round w "$WARMUP" >/dev/null
  : >"$TMP/results"
  echo "warm-up: every scenario ${WARMUP}s against every target (not counted)"
fi
: >"$TMP/results"
PLAINS=() EDS=() EDK=() EDC=()
for i in $(seq "$RUNS"); do
  round "r$i" "$DURATION"
  extra=
  if [ $PLAIN -eq 1 ] && [ $NGINX_ON -eq 1 ]; then
    run_plain
    PLAINS+=("$P_rate")
    extra="nginx with wrk without the script: $(fmt0 "$P_rate") req/s"
  fi
  if [ "$ED_BENCH" != none ]; then
    ed25519_limit
    EDS+=("$E_bare_per_s") EDK+=("$E_keygate_per_s") EDC+=("$E_bare_cpu_ns")
    extra="${extra:+$extra; }libsodium Ed25519 verify on core 1: $(fmt0 "$E_bare_per_s")/s, $(awk -v c="$E_bare_cpu_ns" 'BEGIN {printf "%.1f", c / 1000}') µs of CPU each (keygate's verifier $(fmt0 "$E_keygate_per_s")/s)"
  fi
  [ -n "$extra" ] && echo "         $extra"
done

# field SCENARIO TARGET KEY: that key's value in every run, one a line.
field() {
  awk -v s="$1" -v t="$2" -v k="$3" '
    { delete f; for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      if (f["scenario"] == s && f["target"] == t) print f[k] }' "$TMP/results"
}
med() { median $(field "$@"); }
# ratios SCENARIO KEY TARGET_NUM TARGET_DEN: the median of the per-run ratios.
ratios() {
  paste <(field "$1" "$3" "$2") <(field "$1" "$4" "$2") | awk '{printf "%.3f\n", $1 / $2}' | sort -g |
    awk '{a[NR]=$1} END {printf "%.3f", (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}

echo
echo "medians of $RUNS runs (ratios: the median of the per-run ratios)"
REF=nginx
[ $NGINX_ON -eq 1 ] || REF=keygate
header="| scenario | target | req/s | p50 | p99 | CPU µs/req | CPU % |"
sep="|---|---|---|---|---|---|---|"
if [ ${#TARGETS[@]} -gt 1 ]; then
  header+=" req/s ratio to $REF | CPU ratio to $REF |"
  sep+="---|---|"
fi
echo "$header"
echo "$sep"
for scen in $SCENARIOS; do
  for t in "${TARGETS[@]}"; do
    n=$(target_name "$t")
    row="| $scen | $n | $(fmt0 "$(med "$scen" "$n" rps)") | $(med "$scen" "$n" p50_ms) ms | $(med "$scen" "$n" p99_ms) ms | $(med "$scen" "$n" cpu_us) | $(med "$scen" "$n" cpu_pct)% |"
    if [ ${#TARGETS[@]} -gt 1 ]; then
      if [ "$n" = "$REF" ]; then
        row+=" 1 | 1 |"
      else
        row+=" $(ratios "$scen" rps "$n" "$REF") | $(ratios "$scen" cpu_us "$n" "$REF") |"
      fi
    fi
    echo "$row"
  done
done
[ ${#PLAINS[@]} -gt 0 ] && echo && echo "client ceiling: nginx with wrk without the script, median $(fmt0 "$(median "${PLAINS[@]}")") req/s"

echo
if [ $NGINX_ON -eq 1 ]; then
  case " $SCENARIOS " in *" account "*)
    r=$(ratios account rps keygate nginx) c=$(ratios account cpu_us keygate nginx)
    v=$(awk -v r="$r" -v c="$c" 'BEGIN {print (r >= 0.6 ? "met" : "NOT met") " / " (c <= 2 ? "met" : "NOT met")}')
    echo "goal, signed HMAC account: req/s >= 0.6 of nginx's and CPU/request <= 2x nginx's: $r and ${c}x ($v)"
    ;;
  esac
fi
if [ ${#EDS[@]} -gt 0 ]; then
  ed=$(med account-ed25519 keygate rps) lim=$(median "${EDS[@]}")
  q=$(awk -v a="$ed" -v b="$lim" 'BEGIN {printf "%.3f", a / b}')
  echo "goal, Ed25519 account within 10% of the libsodium verify limit on one core: $(fmt0 "$ed") req/s against $(fmt0 "$lim") verifies/s = $q ($(awk -v q="$q" 'BEGIN {print (q >= 0.9 ? "met" : "NOT met")}'))"
  # The same in CPU time, steadier on a shared core: one verify's CPU over keygate's CPU per request.
  vc=$(median "${EDC[@]}") kc=$(med account-ed25519 keygate cpu_us)
  qc=$(awk -v v="$vc" -v k="$kc" 'BEGIN {printf "%.3f", v / 1000 / k}')
  echo "      in CPU time: a verify takes $(awk -v v="$vc" 'BEGIN {printf "%.1f", v / 1000}') µs, keygate $kc µs per Ed25519 account request = $qc ($(awk -v q="$qc" 'BEGIN {print (q >= 0.9 ? "met" : "NOT met")}'))"
fi

for t in a b; do
  d=DIR_$t bin=$BIN
  [ -n "${!d:-}" ] || continue
  [ "$t" = b ] && bin=$BIN_B
  out=$("$bin" admin --data-dir "${!d}" ledger verify 2>&1) || { echo "$out" >&2; die "keygate admin ledger verify ($(target_name "$t"))"; }
  echo "$(target_name "$t"): keygate admin ledger verify exit 0 ($(echo "$out" | grep -m1 '^ok' || echo "$out" | head -n 1))"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
