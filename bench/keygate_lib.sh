# Shared by the HTTP and streams benchmarks (sourced, not run): start keygate for a benchmark,
# make its users (bench/http_setup.mjs) and fund them. The caller defines die(), BIN, TMP and
# SERVER_PIN.

# pin_cores: servers on core 1 and the load generator on core 0 when taskset and two cores are
# there; sets SERVER_PIN and CLIENT_PIN (empty otherwise) and PINNED (1 or 0).
pin_cores() {
  SERVER_PIN=()
  CLIENT_PIN=()
  PINNED=0
  if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    SERVER_PIN=(taskset -c 1)
    CLIENT_PIN=(taskset -c 0)
    PINNED=1
  fi
}

# wait_listening FILE SED_PATTERN PID WHAT TENTHS: the port a server printed, once it has.
wait_listening() {
  local file=$1 pattern=$2 pid=$3 what=$4 tenths=$5 port=
  for _ in $(seq "$tenths"); do
    port=$(sed -n "$pattern" "$file" 2>/dev/null || true)
    [ -n "$port" ] && { echo "$port"; return 0; }
    kill -0 "$pid" 2>/dev/null || die "$what exited at start"
    sleep 0.1
  done
  die "$what did not listen in time"
}

# start_keygate [ENV=VALUE ...] -- [serve arguments ...]: a fresh `keygate serve --demo` on
# 127.0.0.1:0 with bench/unlimited_rate_limits.toml; sets KG_DIR, KG_PID, KG_PORT, KG_URL.
start_keygate() {
  local envs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  KG_DIR=$TMP/keygate-data
  env "${envs[@]}" "${SERVER_PIN[@]}" "$BIN" serve --demo --config bench/unlimited_rate_limits.toml \
    --listen 127.0.0.1:0 --data-dir "$KG_DIR" "$@" >"$TMP/keygate.out" 2>"$TMP/keygate.err" &
  KG_PID=$!
  KG_PORT=$(wait_listening "$TMP/keygate.out" 's#^keygate listening on http://127\.0\.0\.1:\([0-9]*\)$#\1#p' \
    "$KG_PID" keygate 300)
  KG_URL=http://127.0.0.1:$KG_PORT
}

# setup_users KIND: two users with 2FA and a key each, through the console API, in $TMP/setup.json.
setup_users() {
  node bench/http_setup.mjs "$KG_URL" "$1" >"$TMP/setup.json" || die "setup through the console API"
}

# deposit USER(0|1) ASSET AMOUNT: the simulated chain pays a user of setup_users.
deposit() {
  local email
  email=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["users"][int(sys.argv[2])]["email"])' \
    "$TMP/setup.json" "$1")
  "$BIN" admin --data-dir "$KG_DIR" deposit --email "$email" --asset "$2" --amount "$3" >/dev/null ||
    die "keygate admin deposit"
}
