#!/usr/bin/env bash
# Installs the Debian packages keygate needs to build, run and test, when they are missing.
# Used by `make build`, `make run`, `make test` (--test) and `make bench` (--bench; --postgres
# too for `make bench-http-pg`), so a fresh Debian 12 machine needs nothing else.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config ccache make git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libpq-dev libsodium-dev libargon2-dev liboath-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libqrencode-dev
  libgtest-dev libgmock-dev
)
test=0
bench=0
for flag in "$@"; do
  case "$flag" in
    --test)
      test=1
      packages+=(postgresql oathtool nodejs clang lld libclang-rt-14-dev curl python3 chromium) ;;
    --bench)
      # bench/http_transfers.sh: wrk drives both servers, nginx is the reference, node sets up
      # the users and signs the requests, python3 checks the store, taskset (util-linux) pins,
      # pgrep (procps) finds the nginx worker.
      bench=1
      packages+=(wrk nginx nodejs python3 util-linux procps) ;;
    --postgres)
      packages+=(postgresql) ;;  # `make bench-http-pg` (scripts/with-postgres.sh)
    *) echo "install-deps: unknown flag $flag" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
# Debian's nodejs has no npm of its own; images with Node.js from elsewhere bring it.
# The compat and browser tests (--test) and the streams benchmark (--bench) npm ci their clients.
if { [ $test -eq 1 ] || [ $bench -eq 1 ]; } && ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
