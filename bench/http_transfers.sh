#!/usr/bin/env bash
# Durable operations per second through HTTP (docs/performance.md, "Durable operations through
# HTTP" and "Durable orders through HTTP"): wrk sends signed POSTs, each request signed once and
# sent once, to a fresh `keygate serve --demo`; every 200 was committed (group commit) before the
# answer. The reference, measured in the same invocation with the same wrk settings and the same
# requests, is nginx answering a fixed small JSON shaped like keygate's answer.
#
#   bench/http_transfers.sh [--kind transfers|orders] [--bin build/keygate] [--runs 5]
#                           [--duration 10] [--connections 64] [--threads 1] [--sweep "1 16 64"]
#                           [--sweep-runs 3] [--warmup 3] [--workers N] [--pg] [--max-rate 30000]
#
#   --kind       transfers (the default): POST /sapi/v1/transfer/internal, user A to user B;
#                orders: POST /api/v3/order on BTCUSDT, user A's LIMIT GTC BUY 0.001 at 60000
#                alternating with user B's SELL of the same (each fills what the other left
#                resting: a one-level book, half of the orders trade), newOrderRespType=RESULT,
#                against `serve --demo --no-market-maker`
#   --workers N  KEYGATE_HTTP_WORKER_THREADS for the server (default: the server's own default)
#   --pg         PostgreSQL instead of SQLite: a fresh database on KEYGATE_TEST_PG_URL (run under
#                PG_FSYNC=on scripts/with-postgres.sh; a cluster with fsync off is refused)
#   --max-rate   requests signed per second of a run (running out fails the run loudly)
#
# Each round: keygate, then nginx with the same script, then nginx with wrk without a script (a
# check on the client's own ceiling); then medians, and a sweep over connections (keygate alone)
# with operations per fsync when `perf stat` works.
#
# After each run: every 200's clientTranId must be a committed transfer with its journal entry, or
# every 200's newClientOrderId a row of `orders` (bench/http_verify.py); at the end `keygate admin
# ledger verify` must pass (for orders it also checks that locked balances are what open orders
# hold). Any non-200 answer, socket error or timeout fails the benchmark. With 2+ cores the servers run on core 1 and wrk on
# core 0 (taskset). Needs wrk, nginx, node and python3 (scripts/install-deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/.."

KIND=transfers
BIN=build/keygate
RUNS=5
DURATION=10
CONNECTIONS=64
THREADS=1
SWEEP="1 16 64"
SWEEP_RUNS=3
WARMUP=3
WORKERS=
PG=0
MAX_RATE=30000
while [ $# -gt 0 ]; do
  case "$1" in
    --kind) KIND=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --sweep) SWEEP=$2; shift 2 ;;
    --sweep-runs) SWEEP_RUNS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --pg) PG=1; shift ;;
    --max-rate) MAX_RATE=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "http_transfers: unknown argument $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done

die() { echo "http_transfers: FAILED: $*" >&2; exit 1; }
# shellcheck source=bench/keygate_lib.sh
source bench/keygate_lib.sh
require wrk nginx node python3
[ -x "$BIN" ] || die "no keygate binary at $BIN (make build)"

# What differs between the kinds: the id field of an answer (the wrk script keeps it for every
# 200), the reference's fixed answer (keygate's shape and about its size), the server's flags.
case "$KIND" in
  transfers)
    NOUN=transfers
    WHAT="POST /sapi/v1/transfer/internal"
    ID_FIELD=clientTranId
    NGINX_BODY='{"tranId":1234567,"clientTranId":"r1-1234567"}'
    SERVE_ARGS=()
    ;;
  orders)
    NOUN=orders
    WHAT="POST /api/v3/order (BTCUSDT LIMIT GTC 0.001 at 60000, BUY and SELL alternating, RESULT)"
    ID_FIELD=clientOrderId
    NGINX_BODY='{"symbol":"BTCUSDT","orderId":1234567,"orderListId":-1,"clientOrderId":"r1-1234567","transactTime":1763700000000,"price":"60000.00000000","origQty":"0.00100000","executedQty":"0.00100000","origQuoteOrderQty":"0.00000000","cummulativeQuoteQty":"60.00000000","status":"FILLED","timeInForce":"GTC","type":"LIMIT","side":"SELL","workingTime":1763700000000,"selfTradePreventionMode":"EXPIRE_MAKER"}'
    SERVE_ARGS=(--no-market-maker)
    ;;
  *) die "--kind is transfers or orders, not $KIND" ;;
esac

pin_cores
PIN_NOTE="not pinned (taskset missing or fewer than 2 cores)"
if [ $PINNED -eq 1 ]; then
  PIN_NOTE="servers (keygate, nginx) on core 1, wrk on core 0"
  [ $PG -eq 1 ] && PIN_NOTE="servers (keygate, nginx, postgres) on core 1, wrk on core 0"
fi

KG_PID=
NGINX_PID=
PG_DB=
BENCH_PIDS="KG_PID NGINX_PID"
bench_cleanup_hook() {
  [ -n "$PG_DB" ] && psql "$KEYGATE_TEST_PG_URL" -q -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
}
bench_scratch http

# --- keygate --------------------------------------------------------------------------------
DB_ARGS=()
if [ $PG -eq 1 ]; then
  [ -n "${KEYGATE_TEST_PG_URL:-}" ] || die "--pg needs KEYGATE_TEST_PG_URL (PG_FSYNC=on scripts/with-postgres.sh $0 --pg)"
  command -v psql >/dev/null || die "psql not found"
  [ "$(psql "$KEYGATE_TEST_PG_URL" -Atc 'SHOW fsync')" = on ] ||
    die "PostgreSQL runs with fsync off: nothing would be durable (PG_FSYNC=on scripts/with-postgres.sh)"
  PG_DB=kg_bench_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
  psql "$KEYGATE_TEST_PG_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $PG_DB" >/dev/null
  DB_URL=$(python3 -c 'import sys, urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path="/"+sys.argv[2]).geturl())' \
    "$KEYGATE_TEST_PG_URL" "$PG_DB")
  DB_ARGS=(--db "$DB_URL")
  if [ ${#SERVER_PIN[@]} -gt 0 ]; then
    # New backends inherit the postmaster's affinity; pin it and the processes it already has.
    pgdata=$(psql "$KEYGATE_TEST_PG_URL" -Atc 'SHOW data_directory')
    postmaster=$(head -n 1 "$pgdata/postmaster.pid")
    for p in $postmaster $(pgrep -P "$postmaster"); do taskset -p -c 1 "$p" >/dev/null; done
  fi
fi

start_keygate ${WORKERS:+KEYGATE_HTTP_WORKER_THREADS=$WORKERS} -- "${SERVE_ARGS[@]}" "${DB_ARGS[@]}"
setup_users "$KIND"
deposit 0 USDT 100000000
if [ "$KIND" = orders ]; then
  deposit 1 BTC 100000  # the seller: 0.001 BTC an order, far more than any run sells
fi

start_nginx "$NGINX_BODY"

PERF=0
if command -v perf >/dev/null &&
  perf stat -x, -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync -p "$KG_PID" -- sleep 0.1 >/dev/null 2>&1; then
  PERF=1
fi

VERIFY_DB=(--sqlite "$KG_DIR/keygate.db")
[ $PG -eq 1 ] && VERIFY_DB=(--pg "$DB_URL")

# run_wrk TARGET(keygate|nginx) CONNECTIONS SECONDS PREFIX: sets R_* from the wrk script's line,
# R_cpu (server CPU, % of one core) and, for keygate with perf, R_syncs (fdatasync + fsync calls).
run_wrk() {
  local target=$1 conns=$2 secs=$3 prefix=$4 url pid wrap ids out t0 t1
  local threads=$THREADS perf_pid=
  [ "$threads" -gt "$conns" ] && threads=$conns
  if [ "$target" = keygate ]; then
    url=$KG_URL pid=$KG_PID wrap=0 ids=$TMP/ids-$prefix
  else
    url=http://127.0.0.1:$NGINX_PORT pid=$NGINX_WORKER wrap=1 ids=
  fi
  out=$TMP/wrk-$target-$prefix.txt
  R_syncs=
  if [ "$target" = keygate ] && [ $PERF -eq 1 ]; then
    perf stat -x, -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync -p "$pid" 2>"$TMP/perf-$prefix" &
    perf_pid=$!
  fi
  t0=$(cpu_ticks "$pid")
  KG_REQUESTS=$REQS KG_ID_FIELD=$ID_FIELD KG_THREADS=$threads KG_WRAP=$wrap KG_IDS_OUT=$ids \
    "${CLIENT_PIN[@]}" wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s -s bench/http_transfers.lua "$url" >"$out" 2>&1 ||
    { cat "$out" >&2; die "wrk against $target"; }
  t1=$(cpu_ticks "$pid")
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    R_syncs=$(awk -F, '{n += $1} END {print n + 0}' "$TMP/perf-$prefix")
  fi
  local line
  line=$(grep '^KGBENCH ' "$out") || { cat "$out" >&2; die "no result line from wrk against $target"; }
  for kv in ${line#KGBENCH }; do printf -v "R_${kv%%=*}" '%s' "${kv#*=}"; done
  R_cpu=$(awk -v a="$t0" -v b="$t1" -v s="$R_seconds" -v hz="$TICKS" 'BEGIN {printf "%.0f", (b - a) / hz / s * 100}')
  if [ "$R_non200" -ne 0 ] || [ "$R_exhausted" -ne 0 ] || [ "$R_noid" -ne 0 ] ||
    [ $((R_err_connect + R_err_read + R_err_write + R_err_timeout)) -ne 0 ]; then
    grep '^KGBENCH' "$out" >&2
    [ "$R_exhausted" -ne 0 ] && echo "ran out of signed requests: raise --max-rate" >&2
    die "$target: answers other than 200, socket errors or timeouts (above)"
  fi
  if [ "$target" = keygate ]; then
    python3 bench/http_verify.py "${VERIFY_DB[@]}" --kind "$KIND" --prefix "$prefix" --ids "$ids" --ok "$R_ok" --sent "$R_sent" \
      >"$TMP/verify-$prefix" || { cat "$TMP/verify-$prefix" >&2; die "durability check of $prefix"; }
    TOTAL_OK=$((TOTAL_OK + R_ok))
  fi
}

# wrk without the script against nginx (GET /, the same fixed answer): how far the client itself
# goes, to tell whether the reference above is bound by nginx or by wrk's Lua on its core.
run_plain_nginx() { # CONNECTIONS SECONDS
  local out=$TMP/wrk-plain.txt t0 t1
  t0=$(cpu_ticks "$NGINX_WORKER")
  "${CLIENT_PIN[@]}" wrk -t"$THREADS" -c"$1" -d"${2}s" --timeout 10s "http://127.0.0.1:$NGINX_PORT/" >"$out" 2>&1 ||
    { cat "$out" >&2; die "plain wrk against nginx"; }
  t1=$(cpu_ticks "$NGINX_WORKER")
  grep -Eq 'Non-2xx|Socket errors' "$out" && { cat "$out" >&2; die "plain wrk against nginx: errors"; }
  P_rate=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  P_cpu=$(awk -v a="$t0" -v b="$t1" -v s="$2" -v hz="$TICKS" 'BEGIN {printf "%.0f", (b - a) / hz / s * 100}')
}

# Fresh signed requests for one keygate run (timestamp now, 60 s recvWindow).
sign() { # PREFIX SECONDS
  REQS=$TMP/requests
  node bench/http_gen.mjs "$TMP/setup.json" "$1" $(($2 * MAX_RATE)) "$REQS"
}

# The disk's cost of one durable write, next to the figures: 200 appends of 4 KiB, each followed
# by fdatasync, in the data dir (what SQLite's WAL does once per group commit).
fsync_probe() {
  python3 - "$KG_DIR" <<'PY'
import os, sys, time
path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
ts = []
for _ in range(200):
    t = time.perf_counter()
    os.write(fd, b"x" * 4096)
    os.fdatasync(fd)
    ts.append(time.perf_counter() - t)
os.close(fd)
os.unlink(path)
ts.sort()
print(f"median {ts[100] * 1e3:.2f} ms, p90 {ts[180] * 1e3:.2f} ms, max {ts[-1] * 1e3:.2f} ms")
PY
}

per_commit() { # operations, fsyncs
  if [ -n "$2" ] && [ "$2" -gt 0 ]; then awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}'; else echo n/a; fi
}

backend=SQLite
[ $PG -eq 1 ] && backend=PostgreSQL
echo "durable $NOUN through HTTP: $WHAT, keygate ($BIN, $backend, worker threads: ${WORKERS:-default}) vs nginx fixed JSON"
echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $RUNS runs, same requests for both; $PIN_NOTE"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "disk: 4 KiB append + fdatasync in the data dir, 200 times: $(fsync_probe)"
echo

TOTAL_OK=0
if [ "$WARMUP" -gt 0 ]; then
  sign w0 "$WARMUP"
  run_wrk keygate "$CONNECTIONS" "$WARMUP" w0
  kg=$R_ok_per_s
  run_wrk nginx "$CONNECTIONS" "$WARMUP" w0
  echo "warm-up ${WARMUP}s each (not counted): keygate $(fmt0 "$kg") $NOUN/s, nginx $(fmt0 "$R_ok_per_s") req/s"
fi

KG_RATES=() NG_RATES=() RATIOS=() P50S=() P99S=() PLAIN=()
for i in $(seq "$RUNS"); do
  sign "r$i" "$DURATION"
  run_wrk keygate "$CONNECTIONS" "$DURATION" "r$i"
  kg=$R_ok_per_s kg_p50=$R_p50_ms kg_p99=$R_p99_ms kg_max=$R_max_ms kg_cpu=$R_cpu kg_pc=$(per_commit "$R_ok" "$R_syncs")
  durable=$(cat "$TMP/verify-r$i")
  run_wrk nginx "$CONNECTIONS" "$DURATION" "r$i"
  ng=$R_ok_per_s ng_cpu=$R_cpu ng_p99=$R_p99_ms ng_max=$R_max_ms
  run_plain_nginx "$CONNECTIONS" "$DURATION"
  ratio=$(awk -v a="$kg" -v b="$ng" 'BEGIN {printf "%.3f", a / b}')
  KG_RATES+=("$kg") NG_RATES+=("$ng") RATIOS+=("$ratio") P50S+=("$kg_p50") P99S+=("$kg_p99") PLAIN+=("$P_rate")
  printf 'run %d/%d: keygate %s %s/s (p50 %s ms, p99 %s ms, max %s ms, server CPU %s%%, %s %s per fsync)  nginx %s req/s (p99 %s ms, max %s ms, CPU %s%%)  ratio %s\n' \
    "$i" "$RUNS" "$(fmt0 "$kg")" "$NOUN" "$kg_p50" "$kg_p99" "$kg_max" "$kg_cpu" "$kg_pc" "$NOUN" "$(fmt0 "$ng")" "$ng_p99" "$ng_max" "$ng_cpu" "$ratio"
  printf '         nginx with wrk without the script: %s req/s (CPU %s%%)\n' "$(fmt0 "$P_rate")" "$P_cpu"
  echo "         $durable"
done
echo
printf 'median of %d: keygate %s durable %s/s, nginx %s req/s, ratio %s (keygate p50 %s ms, p99 %s ms)\n' \
  "$RUNS" "$(fmt0 "$(median "${KG_RATES[@]}")")" "$NOUN" "$(fmt0 "$(median "${NG_RATES[@]}")")" "$(median "${RATIOS[@]}")" \
  "$(median "${P50S[@]}")" "$(median "${P99S[@]}")"
printf '              nginx with wrk without the script (client ceiling): %s req/s\n' "$(fmt0 "$(median "${PLAIN[@]}")")"

if [ -n "$SWEEP" ]; then
  echo
  echo "group commit by concurrency (keygate only, median of $SWEEP_RUNS runs of ${DURATION}s; $NOUN per fsync from perf's count of fdatasync/fsync calls):"
  for c in $SWEEP; do
    rates=() p50s=() p99s=() pcs=() cpus=()
    for j in $(seq "$SWEEP_RUNS"); do
      sign "c$c-$j" "$DURATION"
      run_wrk keygate "$c" "$DURATION" "c$c-$j"
      rates+=("$R_ok_per_s") p50s+=("$R_p50_ms") p99s+=("$R_p99_ms") cpus+=("$R_cpu")
      pc=$(per_commit "$R_ok" "$R_syncs")
      [ "$pc" != n/a ] && pcs+=("$pc")
    done
    printf '  %3d connections: %s %s/s, p50 %s ms, p99 %s ms, server CPU %s%%, %s %s per fsync\n' \
      "$c" "$(fmt0 "$(median "${rates[@]}")")" "$NOUN" "$(median "${p50s[@]}")" "$(median "${p99s[@]}")" "$(median "${cpus[@]}")" \
      "$([ ${#pcs[@]} -gt 0 ] && median "${pcs[@]}" || echo n/a)" "$NOUN"
  done
fi

echo
verify_out=$("$BIN" admin --data-dir "$KG_DIR" ledger verify 2>&1) || { echo "$verify_out" >&2; die "keygate admin ledger verify"; }
echo "keygate admin ledger verify: exit 0 ($(echo "$verify_out" | grep -m1 '^ok' || echo "$verify_out" | head -n 1))"
# One row of numbers from the store, space-separated.
store_row() { # SQL
  if [ $PG -eq 1 ]; then
    psql "$DB_URL" -At -F ' ' -c "$1"
  else
    python3 -c '
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(*db.execute(sys.argv[2]).fetchone())
' "$KG_DIR/keygate.db" "$1"
  fi
}
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); disk: 4 KiB append + fdatasync: $(fsync_probe)"
if [ "$KIND" = transfers ]; then
  read -r journal_transfers transfer_rows <<<"$(store_row \
    "SELECT (SELECT count(*) FROM journal_entries WHERE kind = 'transfer'), (SELECT count(*) FROM transfers)")"
  [ "$journal_transfers" = "$transfer_rows" ] || die "journal has $journal_transfers transfer entries but $transfer_rows transfer rows"
  [ "$journal_transfers" -ge "$TOTAL_OK" ] || die "journal has $journal_transfers transfers, fewer than the $TOTAL_OK answered 200"
  echo "journal: $journal_transfers transfers committed, $TOTAL_OK answered 200 (every one found by clientTranId after its run; the $((journal_transfers - TOTAL_OK)) others were in flight when wrk stopped reading)"
else
  # Every order is 0.001 at one price: a trade fills one BUY and one SELL whole, so FILLED orders
  # are twice the trades, and what is left open rests on one side only.
  read -r order_rows filled open_orders open_sides trade_rows <<<"$(store_row \
    "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM orders WHERE status = 'FILLED'),
            (SELECT count(*) FROM orders WHERE status IN ('NEW', 'PARTIALLY_FILLED')),
            (SELECT count(DISTINCT side) FROM orders WHERE status IN ('NEW', 'PARTIALLY_FILLED')),
            (SELECT count(*) FROM trades)")"
  [ "$order_rows" -ge "$TOTAL_OK" ] || die "the store has $order_rows orders, fewer than the $TOTAL_OK answered 200"
  [ "$filled" -eq $((2 * trade_rows)) ] || die "$filled orders FILLED but $trade_rows trades (expected twice as many)"
  [ $((filled + open_orders)) -eq "$order_rows" ] || die "$order_rows orders: $filled FILLED, $open_orders open, the rest neither"
  [ "$open_sides" -le 1 ] || die "open orders on both sides of a one-price book"
  echo "orders: $order_rows committed, $TOTAL_OK answered 200 (every one found by newClientOrderId after its run; the $((order_rows - TOTAL_OK)) others were in flight when wrk stopped reading); $trade_rows trades, $filled orders filled, $open_orders open at the end"
fi
