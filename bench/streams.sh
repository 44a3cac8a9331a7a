#!/usr/bin/env bash
# WebSocket streams (docs/performance.md, "WebSocket streams"): fan-out of trade events to 1,000
# subscribers of `<symbol>@trade`, against a plain broadcaster measured in the same invocation, and
# the latency from an order's request to its executionReport on the user data stream, against the
# HTTP answer to the same order.
#
#   bench/streams.sh [--bin build/keygate] [--runs 5] [--subscribers 1000] [--addresses 250]
#                    [--rate 50] [--events 200] [--max-rate 400] [--max-events 600]
#                    [--orders 2000] [--warmup 100]
#
# Fan-out. `keygate serve --demo --no-market-maker` (SQLite, default settings but for per-IP and
# order-count rate limits no run reaches) and the reference, bench/ws_broadcast.mjs (the `ws`
# package's server sending keygate's own trade frame, with its trade id and times set, to every
# connection, one `send` each), run on core 1; the client, bench/streams_client.mjs, on core 0,
# opens --subscribers WebSocket connections to /ws/btcusdt@trade from --addresses source addresses
# (127.0.0.2 and up: keygate allows 300 handshakes per 5 minutes and 1,000 open connections per
# address; with 250 addresses no run comes near either, and the defaults stay as they are). Against
# keygate, a driver process on core 0 sends crossing BUY/SELL pairs of signed HTTP orders (two
# funded users, LIMIT GTC 0.001 at 60000, both orders of a pair at once over 16 keep-alive
# connections): each pair is one trade, so one event for every subscriber. The reference gets the
# same number of events at the same rate. Each round runs, in order:
#   fixed rate   --events events at --rate a second, keygate then the reference: CPU per frame
#                delivered, and the lag from the frame's "E" (when the server formatted it) to its
#                arrival;
#   no subscribers  keygate with the same orders and nobody listening: the cost of the orders
#                themselves, taken off keygate's CPU above to give its fan-out cost alone;
#   saturation   --max-events at --max-rate a second (more than either server delivers here),
#                keygate then the reference: frames delivered a second, from the first event asked
#                for to the last frame received; between the two, keygate's orders again with
#                nobody listening, at the rate they went through with subscribers (their own CPU).
# Every run checks that every subscriber got every event once, in trade-id order, and that no
# connection closed; any loss, repeat, gap, close or non-200 order fails the benchmark.
#
# Latency. The buyer opens its user data stream (POST /api/v3/userDataStream, /ws/<listenKey>);
# the seller rests SELLs 100 at a time (untimed); the buyer sends --orders BUYs (after --warmup
# untimed ones) one after the other over one keep-alive connection, each filling one resting SELL;
# per order, the time from writing the request to the HTTP answer and to the executionReport
# (the first one of the order, and the FILLED one) arriving; the next order goes when both are in.
#
# At the end: `keygate admin ledger verify`, and the store holds exactly the trades the runs made,
# every order FILLED and none open. Needs node (20+) and npm (bench/package.json: `ws`, installed
# with `npm ci` when missing), python3, taskset. Medians of --runs rounds.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=build/keygate
RUNS=5
SUBSCRIBERS=1000
ADDRESSES=250
RATE=50
EVENTS=200
MAX_RATE=400
MAX_EVENTS=600
ORDERS=2000
WARMUP=100
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --subscribers) SUBSCRIBERS=$2; shift 2 ;;
    --addresses) ADDRESSES=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --events) EVENTS=$2; shift 2 ;;
    --max-rate) MAX_RATE=$2; shift 2 ;;
    --max-events) MAX_EVENTS=$2; shift 2 ;;
    --orders) ORDERS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "streams: unknown argument $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done

die() { echo "streams: FAILED: $*" >&2; exit 1; }
# shellcheck source=bench/keygate_lib.sh
source bench/keygate_lib.sh
require node npm python3
[ -x "$BIN" ] || die "no keygate binary at $BIN (make build)"
[ "$ADDRESSES" -ge 1 ] && [ "$ADDRESSES" -le 250 ] || die "--addresses is 1 to 250 (127.0.0.2 to 127.0.0.251)"
if [ ! -f bench/node_modules/ws/package.json ]; then
  (cd bench && npm ci --no-audit --no-fund --silent) || die "npm ci in bench/"
fi

pin_cores
PIN_NOTE="not pinned (taskset missing or fewer than 2 cores)"
[ $PINNED -eq 1 ] && PIN_NOTE="servers (keygate, the reference) on core 1, the client and the order driver on core 0"

KG_PID=
REF_PID=
BENCH_PIDS="KG_PID REF_PID"
bench_scratch streams

# --- keygate ---------------------------------------------------------------------------------
start_keygate -- --no-market-maker
setup_users orders
deposit 0 USDT 100000000  # the buyer: 60 USDT an order
deposit 1 BTC 100000      # the seller: 0.001 BTC an order

# --- the reference ----------------------------------------------------------------------------
"${SERVER_PIN[@]}" node bench/ws_broadcast.mjs 127.0.0.1 >"$TMP/ref.out" 2>"$TMP/ref.err" &
REF_PID=$!
REF_PORT=$(wait_listening "$TMP/ref.out" 's#^ws_broadcast listening on ws://127\.0\.0\.1:\([0-9]*\)$#\1#p' \
  "$REF_PID" "the reference" 100) || { cat "$TMP/ref.err" >&2; exit 1; }

CLIENT=("${CLIENT_PIN[@]}" node bench/streams_client.mjs)
KG=(--ws "ws://127.0.0.1:$KG_PORT" --http "http://127.0.0.1:$KG_PORT" --setup "$TMP/setup.json")
REF=(--ws "ws://127.0.0.1:$REF_PORT" --http "http://127.0.0.1:$REF_PORT")
SUBS=(--subscribers "$SUBSCRIBERS" --addresses "$ADDRESSES")

# One keygate trade frame: the reference sends this (trade id and times set per event).
"${CLIENT[@]}" frame "${KG[@]}" --prefix probe >"$TMP/frame" || die "no trade frame from keygate"
TEMPLATE=$(sed -n 's/^KGBENCH //p' "$TMP/frame")
PAIRS=1  # trades made so far (the probe), checked against the store at the end

RESULTS=$TMP/results.jsonl
run() { # KIND RUN ARGS...: one client run; its KGBENCH line, tagged, goes to $RESULTS
  local kind=$1 i=$2 out
  shift 2
  out=$TMP/$kind-$i.out
  "${CLIENT[@]}" "$@" >"$out" || { cat "$out" >&2; die "$kind run $i"; }
  python3 -c 'import json, sys; d = json.loads(sys.argv[3]); d.update(kind=sys.argv[1], run=int(sys.argv[2])); print(json.dumps(d))' \
    "$kind" "$i" "$(sed -n 's/^KGBENCH //p' "$out")" >>"$RESULTS" || { cat "$out" >&2; die "no result from $kind run $i"; }
}

echo "WebSocket streams: keygate ($BIN) vs the ws package's broadcaster (node $(node --version), ws $(node -p 'require("./bench/node_modules/ws/package.json").version'))"
echo "fan-out: $SUBSCRIBERS subscribers of btcusdt@trade from $ADDRESSES addresses; fixed: $EVENTS events at $RATE/s; saturation: $MAX_EVENTS events asked for at $MAX_RATE/s; latency: $ORDERS orders one at a time (+$WARMUP untimed); $RUNS rounds; $PIN_NOTE"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "keygate's trade frame ($(printf '%s' "$TEMPLATE" | wc -c) bytes): $TEMPLATE"
echo

for i in $(seq "$RUNS"); do
  run kg-fixed "$i" fanout "${KG[@]}" "${SUBS[@]}" --pid "$KG_PID" --prefix "f$i" --events "$EVENTS" --rate "$RATE"
  run ref-fixed "$i" fanout "${REF[@]}" "${SUBS[@]}" --pid "$REF_PID" --template "$TEMPLATE" --events "$EVENTS" --rate "$RATE"
  run kg-none "$i" fanout "${KG[@]}" --subscribers 0 --pid "$KG_PID" --prefix "n$i" --events "$EVENTS" --rate "$RATE"
  run kg-max "$i" fanout "${KG[@]}" "${SUBS[@]}" --pid "$KG_PID" --prefix "m$i" --events "$MAX_EVENTS" --rate "$MAX_RATE"
  # The same orders at the rate they went through just now, nobody listening: their own CPU.
  max_pairs_rate=$(tail -n 1 "$RESULTS" | python3 -c 'import json, sys; print(max(1, round(json.load(sys.stdin)["driver"]["pairsPerSecond"])))')
  run kg-none-max "$i" fanout "${KG[@]}" --subscribers 0 --pid "$KG_PID" --prefix "o$i" --events "$MAX_EVENTS" --rate "$max_pairs_rate"
  run ref-max "$i" fanout "${REF[@]}" "${SUBS[@]}" --pid "$REF_PID" --template "$TEMPLATE" --events "$MAX_EVENTS" --rate "$MAX_RATE"
  run latency "$i" latency "${KG[@]}" --prefix "l$i" --orders "$ORDERS" --warmup "$WARMUP"
  PAIRS=$((PAIRS + 2 * EVENTS + 2 * MAX_EVENTS + ORDERS + WARMUP))
  python3 bench/streams_report.py run "$RESULTS" "$i" "$RUNS" || die "round $i (above)"
done
echo
python3 bench/streams_report.py summary "$RESULTS" "$RUNS"

echo
verify_out=$("$BIN" admin --data-dir "$KG_DIR" ledger verify 2>&1) || { echo "$verify_out" >&2; die "keygate admin ledger verify"; }
echo "keygate admin ledger verify: exit 0 ($(echo "$verify_out" | grep -m1 '^ok' || echo "$verify_out" | head -n 1))"
read -r trades filled open_orders <<<"$(python3 - "$KG_DIR/keygate.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(*db.execute("""SELECT (SELECT count(*) FROM trades), (SELECT count(*) FROM orders WHERE status = 'FILLED'),
                            (SELECT count(*) FROM orders WHERE status IN ('NEW', 'PARTIALLY_FILLED'))""").fetchone())
PY
)"
[ "$trades" -eq "$PAIRS" ] || die "the store has $trades trades, the runs made $PAIRS"
[ "$filled" -eq $((2 * trades)) ] || die "$filled orders FILLED for $trades trades"
[ "$open_orders" -eq 0 ] || die "$open_orders orders still open"
echo "store: $trades trades (as many as the runs made), $filled orders FILLED, none open"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
