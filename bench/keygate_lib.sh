# Shared by the HTTP and streams benchmarks (sourced, not run): start keygate for a benchmark,
# make its users (bench/http_setup.mjs) and fund them, start the nginx reference, read a process's
# CPU time. The caller defines die(), BIN, TMP and SERVER_PIN (pin_cores).

# require CMD...: each is on the PATH, or the benchmark stops and names the install step.
require() {
  local c
  for c in "$@"; do command -v "$c" >/dev/null || die "$c not found (bash scripts/install-deps.sh --bench)"; done
}

# bench_scratch NAME: a scratch dir ($TMP) and the traps that clean up however the benchmark
# ends: the processes whose pids are in the variables named by BENCH_PIDS (e.g. "KG_PID
# NGINX_PID") or in the array SERVER_PIDS are stopped, bench_cleanup_hook runs if the script
# defines one (a database to drop), keygate's last log lines are shown on failure, and $TMP goes.
bench_scratch() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/kg-bench-$1.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
bench_cleanup() {
  local rc=$? v p f
  trap - EXIT INT TERM
  set +e
  for v in ${BENCH_PIDS:-}; do
    p=${!v:-}
    [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  for p in "${SERVER_PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  declare -F bench_cleanup_hook >/dev/null && bench_cleanup_hook
  if [ $rc -ne 0 ]; then
    for f in "$TMP"/keygate.err "$TMP"/*/keygate.err; do
      [ -s "$f" ] && { echo "--- last lines of $f ---" >&2; tail -n 20 "$f" >&2; }
    done
  fi
  rm -rf "$TMP"
  exit $rc
}
SERVER_PIDS=()

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

# A free TCP port on 127.0.0.1; whether something listens on one.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# utime + stime of a process (all its threads), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
TICKS=$(getconf CLK_TCK)
# The median of the arguments (numbers); a number with thousands separators.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
fmt0() { printf "%'.0f" "$1"; }

# start_nginx BODY: nginx (the Debian package, one worker process, on SERVER_PIN) answering every
# request with 200 and the fixed JSON BODY, in $TMP/nginx; sets NGINX_PID, NGINX_WORKER (the
# worker's pid: its CPU is the reference's) and NGINX_PORT.
start_nginx() {
  local d=$TMP/nginx body=$1
  local nginx
  require nginx
  nginx=$(command -v nginx)
  mkdir -p "$d/tmp"
  for _ in 1 2 3 4 5; do
    NGINX_PORT=$(free_port)
    cat >"$d/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      default_type application/json;
      return 200 '$body';
    }
  }
}
EOF
    "${SERVER_PIN[@]}" "$nginx" -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/stdout" 2>&1 &
    NGINX_PID=$!
    for _ in $(seq 50); do
      port_open "$NGINX_PORT" && break
      kill -0 "$NGINX_PID" 2>/dev/null || break
      sleep 0.1
    done
    if port_open "$NGINX_PORT" && kill -0 "$NGINX_PID" 2>/dev/null; then
      NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -n 1)
      return 0
    fi
    kill "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=
  done
  cat "$d/error.log" "$d/stdout" >&2 2>/dev/null || true
  die "nginx did not start"
}
