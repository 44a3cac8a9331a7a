# keygate: `make run` sets everything up and starts a demo server; `make test` runs every suite.
BUILD_DIR ?= build
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEYGATE_WERROR=ON
LISTEN ?= 127.0.0.1:8080
DATA_DIR ?= ./data
# ccache (when installed) with paths relative to the checkout, so that another clone of the same
# sources (CI's fresh clone) reuses the objects instead of compiling everything again.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1

.PHONY: all deps test-deps bench-deps build run test test-sanitize torture unit integration fuzz bench bench-matching bench-http bench-http-pg \
	bench-orders bench-orders-pg bench-streams bench-ceiling bench-scale bench-compare format clean

all: build

deps:
	@bash scripts/install-deps.sh

test-deps:
	@bash scripts/install-deps.sh --test

bench-deps:
	@bash scripts/install-deps.sh --bench

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS) > /dev/null
	@cmake --build $(BUILD_DIR)

run: build
	$(BUILD_DIR)/keygate serve --demo --listen $(LISTEN) --data-dir $(DATA_DIR)

test: test-deps build
	@bash scripts/with-postgres.sh bash scripts/run-tests.sh

# The unit and integration tests on an ASan + UBSan build (build-asan); passes with 0 reports.
test-sanitize: test-deps
	@bash scripts/with-postgres.sh bash scripts/test-sanitize.sh

# Crash torture for a release: R4 with 1,000 kill -9 cycles on SQLite and PostgreSQL (about 35
# minutes); TORTURE_KILLS=100 for a shorter one.
torture: test-deps build
	@bash scripts/torture.sh $(or $(TORTURE_KILLS),1000)

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure

integration: build
	@bash tests/integration/run.sh

# Benchmarks print medians and ratios against a reference measured in the same run
# (docs/performance.md); pinned to cores when taskset is there. `make bench` runs them all:
# the gatekeeper and the matching engine on one core, the rate-limit counters (one and two
# threads), then durable transfers and durable orders through HTTP against nginx, then WebSocket
# stream fan-out and executionReport latency against a plain broadcaster, then the HTTP ceiling
# (ping, signed account with HMAC and Ed25519, durable orders) against nginx's fixed `{}`, then a
# million API keys against a thousand (bench/README.md).
# BENCH_HTTP_ARGS passes options to bench/http_transfers.sh, for transfers and orders alike
# (e.g. --runs 7 or --workers 64); BENCH_STREAMS_ARGS to bench/streams.sh (e.g. --runs 7);
# BENCH_CEILING_ARGS to bench/ceiling.sh (e.g. --runs 3 --scenarios account); BENCH_SCALE_ARGS to
# bench/scale_keys.sh (e.g. --rounds 5 or --no-http).
PIN1 = $(shell command -v taskset >/dev/null && echo taskset -c 1)
BENCH_HTTP = bash bench/http_transfers.sh --bin $(BUILD_DIR)/keygate $(BENCH_HTTP_ARGS)
BENCH_ORDERS = bash bench/http_transfers.sh --kind orders --bin $(BUILD_DIR)/keygate $(BENCH_HTTP_ARGS)
BENCH_STREAMS = bash bench/streams.sh --bin $(BUILD_DIR)/keygate $(BENCH_STREAMS_ARGS)
BENCH_CEILING = bash bench/ceiling.sh --bin $(BUILD_DIR)/keygate $(BENCH_CEILING_ARGS)
BENCH_SCALE = bash bench/scale_keys.sh --bin $(BUILD_DIR)/keygate $(BENCH_SCALE_ARGS)

bench: bench-deps build
	@$(PIN1) $(BUILD_DIR)/bench/kg_bench_gatekeeper 1000 7 100000
	@$(PIN1) $(BUILD_DIR)/bench/kg_bench_matching 7 10000 1000000
	@$(BUILD_DIR)/bench/kg_bench_rate_limit 10000 7 200000
	@$(BENCH_HTTP)
	@$(BENCH_ORDERS)
	@$(BENCH_STREAMS)
	@$(BENCH_CEILING)
	@$(BENCH_SCALE)

bench-matching: build
	@$(PIN1) $(BUILD_DIR)/bench/kg_bench_matching 7 10000 1000000

bench-http: bench-deps build
	@$(BENCH_HTTP)

bench-orders: bench-deps build
	@$(BENCH_ORDERS)

# About 3 minutes; `npm ci` in bench/ (the ws package) the first time.
bench-streams: bench-deps build
	@$(BENCH_STREAMS)

# About 15 minutes: 5 rounds of the four scenarios, each 10 s on keygate and on nginx.
bench-ceiling: bench-deps build
	@$(BENCH_CEILING)

# About 12 minutes, 1.5 GB of memory and 0.5 GB of /tmp: start-up, RSS, signed account and the
# gatekeeper with 1,000,000 keys against 1,000.
bench-scale: bench-deps build
	@$(BENCH_SCALE)

# Two commits side by side, each built in a worktree of its own (bench/compare --help):
#   make bench-compare A=HEAD~1 B=HEAD BENCHES="gatekeeper matching http-account"
bench-compare:
	@bash bench/compare $(A) $(B) $(BENCHES)

# The same against a throwaway PostgreSQL with fsync on (durable commits).
bench-http-pg: build
	@bash scripts/install-deps.sh --bench --postgres
	@PG_FSYNC=on bash scripts/with-postgres.sh $(BENCH_HTTP) --pg

bench-orders-pg: build
	@bash scripts/install-deps.sh --bench --postgres
	@PG_FSYNC=on bash scripts/with-postgres.sh $(BENCH_ORDERS) --pg

fuzz: test-deps
	@bash scripts/fuzz.sh $(or $(SECONDS),30)

format:
	@find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) build-fuzz build-asan
