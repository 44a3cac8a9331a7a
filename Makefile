# keygate: `make run` sets everything up and starts a demo server; `make test` runs every suite.
BUILD_DIR ?= build
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEYGATE_WERROR=ON
LISTEN ?= 127.0.0.1:8080
DATA_DIR ?= ./data

.PHONY: all deps test-deps bench-deps build run test unit integration fuzz bench bench-matching bench-http bench-http-pg \
	bench-orders bench-orders-pg bench-streams format clean

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

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure

integration: build
	@bash tests/integration/run.sh

# Benchmarks print medians and ratios against a reference measured in the same run
# (docs/performance.md); pinned to cores when taskset is there. `make bench` runs them all:
# the gatekeeper and the matching engine on one core, the rate-limit counters (one and two
# threads), then durable transfers and durable orders through HTTP against nginx, then WebSocket
# stream fan-out and executionReport latency against a plain broadcaster (bench/README.md).
# BENCH_HTTP_ARGS passes options to bench/http_transfers.sh, for transfers and orders alike
# (e.g. --runs 7 or --workers 64); BENCH_STREAMS_ARGS to bench/streams.sh (e.g. --runs 7).
PIN1 = $(shell command -v taskset >/dev/null && echo taskset -c 1)
BENCH_HTTP = bash bench/http_transfers.sh --bin $(BUILD_DIR)/keygate $(BENCH_HTTP_ARGS)
BENCH_ORDERS = bash bench/http_transfers.sh --kind orders --bin $(BUILD_DIR)/keygate $(BENCH_HTTP_ARGS)
BENCH_STREAMS = bash bench/streams.sh --bin $(BUILD_DIR)/keygate $(BENCH_STREAMS_ARGS)

bench: bench-deps build
	@$(PIN1) $(BUILD_DIR)/bench/kg_bench_gatekeeper 1000 7 100000
	@$(PIN1) $(BUILD_DIR)/bench/kg_bench_matching 7 10000 1000000
	@$(BUILD_DIR)/bench/kg_bench_rate_limit 10000 7 200000
	@$(BENCH_HTTP)
	@$(BENCH_ORDERS)
	@$(BENCH_STREAMS)

bench-matching: build
	@$(PIN1) $(BUILD_DIR)/bench/kg_bench_matching 7 10000 1000000

bench-http: bench-deps build
	@$(BENCH_HTTP)

bench-orders: bench-deps build
	@$(BENCH_ORDERS)

# About 3 minutes; `npm ci` in bench/ (the ws package) the first time.
bench-streams: bench-deps build
	@$(BENCH_STREAMS)

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
	rm -rf $(BUILD_DIR) build-fuzz
