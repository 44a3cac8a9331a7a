// The whole gatekeeper for one signed request (parse the parameters, find the key, check
// active/expiry/IP, timestamp window, HMAC-SHA256 over the payload, replay guard, permission,
// access-log record) next to the reference: a bare HMAC-SHA256 of the same payload with a
// pre-keyed OpenSSL context, the least any verifier must do. Rounds alternate between the two;
// the figures are medians over the rounds, and the ratio is the goal's (<= 2x).
//
//   build/bench/kg_bench_gatekeeper [keys=1000] [rounds=7] [requests_per_round=200000] [one|active|spread]
//
// one (the default): every request is signed by the same key (the last one made), so its entry
// stays in the cache whatever the index holds. active: each request by one of 1,000 keys spread
// evenly over the index, at random (the keys in use at a time, as the HTTP scale bench signs).
// spread: each request by a key drawn at random from the whole index (with a million keys each
// request finds its key's entry, verifier and usage record out of the cache: the worst case).
// bench/scale_keys.sh compares 1,000 keys in the index against 1,000,000 in all three modes.
// The reference signs with the same keys as the gatekeeper checks. The last line, "KGGATE
// key=value ...", is for scripts.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "auth/gatekeeper.hpp"
#include "crypto/sealer.hpp"
#include "crypto/signature.hpp"
#include "keys/access_log.hpp"
#include "keys/key_index.hpp"
#include "keys/key_service.hpp"
#include "store/store.hpp"

using namespace kg;
using Clock_ = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::shared_ptr<const keys::KeyEntry> make_entry(int64_t id, const std::string& api_key, const std::string& secret) {
  auto e = std::make_shared<keys::KeyEntry>();
  e->key.id = id;
  e->key.user_id = id;
  e->key.api_key = api_key;
  e->key.label = "bench";
  e->key.permissions = keys::bit(keys::Permission::kRead) | keys::bit(keys::Permission::kTrade);
  e->key.allowlist = keys::IpAllowlist({*keys::IpRange::parse("127.0.0.0/8"), *keys::IpRange::parse("::1")});
  e->hmac = std::make_shared<crypto::HmacSha256Key>(secret);
  e->usage = std::make_shared<keys::KeyUsage>();
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  const int n_keys = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  const int per_round = argc > 3 ? std::atoi(argv[3]) : 200000;
  const std::string mode = argc > 4 ? argv[4] : "one";
  if (n_keys < 1 || rounds < 1 || per_round < 1 || (mode != "one" && mode != "active" && mode != "spread")) {
    std::fprintf(stderr, "usage: kg_bench_gatekeeper [keys] [rounds] [requests_per_round] [one|active|spread]\n");
    return 2;
  }

  // A real store for the access log's background writer, as in the server.
  auto dir = std::filesystem::temp_directory_path() / ("kg-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  store::Store store(store::open_sqlite((dir / "bench.db").string()));
  store.migrate();
  SystemClock clock;
  keys::AccessLog log(store, clock);
  keys::KeyIndex index;
  std::vector<std::string> api_keys;
  const auto setup_start = Clock_::now();
  for (int i = 0; i < n_keys; ++i) {
    api_keys.push_back(keys::generate_api_key());
    index.put(make_entry(i + 1, api_keys.back(), keys::generate_secret()));
  }
  const double setup_s = std::chrono::duration<double>(Clock_::now() - setup_start).count();
  auth::Gatekeeper gatekeeper(index, log, clock);

  // Pre-signed requests with unique timestamps (as a bot sends them), ~200 bytes of query, each
  // with the key that signed it (the last key, or one at random). Each request carries its own
  // copy of the key's text next to its query, as the server reads X-MBX-APIKEY from the same
  // buffer as the request line: pointing into the bench's own list of a million keys would add a
  // cache miss per request that no server has.
  const int64_t t0 = clock.now_ms();
  std::vector<std::string> queries;
  std::vector<std::string> signed_by;
  std::vector<const crypto::HmacSha256Key*> signers;
  queries.reserve(static_cast<size_t>(per_round) * rounds);
  signed_by.reserve(static_cast<size_t>(per_round) * rounds);
  std::mt19937_64 rng(42);
  // The keys requests may come from: one, 1,000 spread evenly over the index, or all of them.
  std::vector<const std::string*> pool;
  if (mode == "one") {
    pool.push_back(&api_keys.back());
  } else if (mode == "active") {
    const size_t n = std::min<size_t>(1000, api_keys.size());
    for (size_t i = 0; i < n; ++i) pool.push_back(&api_keys[i * api_keys.size() / n]);
  } else {
    for (const auto& k : api_keys) pool.push_back(&k);
  }
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  for (int i = 0; i < per_round * rounds; ++i) {  // each signature is used once: the replay guard is on
    const std::string& key = *pool[pick(rng)];
    const crypto::HmacSha256Key& signer = *index.find(key)->hmac;
    std::string q = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000000&price=65000.00"
                    "&newClientOrderId=bench-" + std::to_string(i) + "&recvWindow=60000&timestamp=" +
                    std::to_string(t0 * 1000 + i);  // microseconds: unique and inside the window
    q += "&signature=" + signer.sign_hex(q);
    queries.push_back(std::move(q));
    signed_by.push_back(key);
    signers.push_back(&signer);
  }

  std::vector<double> hmac_ns, gate_ns, parse_ns;
  size_t next = 0;  // all timestamps are within a second of t0, inside the 60 s window
  volatile size_t sink = 0;
  for (int r = 0; r < rounds; ++r) {
    auto start = Clock_::now();
    for (int i = 0; i < per_round; ++i) {
      const std::string& q = queries[static_cast<size_t>(i)];
      sink = sink + signers[static_cast<size_t>(i)]->mac(std::string_view(q).substr(0, q.size() - 75)).size();
    }
    hmac_ns.push_back(std::chrono::duration<double, std::nano>(Clock_::now() - start).count() / per_round);

    // Parameter parsing alone, over the same requests the gatekeeper will see.
    start = Clock_::now();
    for (int i = 0; i < per_round; ++i) {
      auto params = parse_params(queries[next + static_cast<size_t>(i)], {});
      sink = sink + params->items().size();
    }
    parse_ns.push_back(std::chrono::duration<double, std::nano>(Clock_::now() - start).count() / per_round);

    start = Clock_::now();
    for (int i = 0; i < per_round; ++i) {
      const std::string& q = queries[next];
      const std::string& api_key = signed_by[next++];
      gatekeeper.prefetch(api_key);  // as the server does, before parsing
      auto params = parse_params(q, {});
      auth::SignedRequest req{api_key, q, {}, *params, "127.0.0.1", "POST", "/api/v3/order"};
      auto passed = gatekeeper.check(req, auth::Security::kTrade, keys::Permission::kTrade);
      if (!passed) {
        std::fprintf(stderr, "request refused: %s\n", passed.error().msg.c_str());
        return 1;
      }
      gatekeeper.record(*passed->key, req, 200, passed->checked_at_ms);
    }
    gate_ns.push_back(std::chrono::duration<double, std::nano>(Clock_::now() - start).count() / per_round);
  }

  const double h = median(hmac_ns), g = median(gate_ns), p = median(parse_ns);
  std::printf("gatekeeper benchmark: %d keys in the index (made in %.1f s), %d rounds x %d requests, %s, one core\n",
              n_keys, setup_s, rounds, per_round,
              mode == "one"      ? "every request by the same key"
              : mode == "active" ? "each request by one of 1,000 keys at random"
                                 : "each request by a key at random");
  std::printf("  bare HMAC-SHA256 (pre-keyed ctx)  median %8.0f ns/request\n", h);
  std::printf("  whole gatekeeper                  median %8.0f ns/request  (%.0f requests/s)\n", g, 1e9 / g);
  std::printf("    of which parameter parsing      median %8.0f ns/request\n", p);
  std::printf("  ratio gatekeeper / bare HMAC      %.2f  (goal <= 2.00)\n", g / h);
  std::printf("KGGATE keys=%d mode=%s hmac_ns=%.1f gate_ns=%.1f parse_ns=%.1f ratio=%.3f\n", n_keys, mode.c_str(), h, g,
              p, g / h);
  std::filesystem::remove_all(dir);
  return static_cast<int>(sink & 0);
}
