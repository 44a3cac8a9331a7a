// What Binance's rate limits add to every request: the gate (api/rate_limit_gate.hpp) counts a
// request against its client IP (REQUEST_WEIGHT and RAW_REQUESTS, with the real clock) and puts
// X-MBX-USED-WEIGHT-1M on the answer; order routes also count ORDERS per account. Measured next to
// two references in the same run: a bare HMAC-SHA256 of a 200-byte payload (what the gatekeeper
// costs about two of) and an empty loop over the same inputs. Rounds alternate between the
// measurements; every figure is a median over rounds.
//
//   build/bench/kg_bench_rate_limit [ips=10000] [rounds=7] [requests_per_round=200000]
//
// "2 threads" runs the same loop on two threads at once (each its own half of the IPs, then both on
// one IP: the worst case for the shard lock) and reports ns per check as each thread sees it.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "api/rate_limit_gate.hpp"
#include "auth/rate_limiter.hpp"
#include "crypto/signature.hpp"

using namespace kg;
using Steady = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::atomic<size_t> g_sink{0};

// body(i) returns something that depends on the work, summed locally (a shared sink would make two
// threads fight over its cache line) and published once.
template <typename F>
double ns_per(int n, F&& body) {
  size_t sum = 0;
  const auto start = Steady::now();
  for (int i = 0; i < n; ++i) sum += body(i);
  const double ns = std::chrono::duration<double, std::nano>(Steady::now() - start).count() / n;
  g_sink.fetch_add(sum);
  return ns;
}

// Runs body(thread, i) on two threads started together; the slower thread's ns per iteration.
template <typename F>
double ns_per_2threads(int n, F&& body) {
  std::atomic<int> ready{0};
  double ns[2] = {0, 0};
  auto run = [&](int t) {
    ready.fetch_add(1);
    while (ready.load() < 2) {
    }
    ns[t] = ns_per(n, [&](int i) { return body(t, i); });
  };
  std::thread a(run, 0), b(run, 1);
  a.join();
  b.join();
  return std::max(ns[0], ns[1]);
}

}  // namespace

int main(int argc, char** argv) {
  const int n_ips = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  const int per_round = argc > 3 ? std::atoi(argv[3]) : 200000;

  // Binance's limits, high enough that nothing is refused: what is measured is the counting.
  ExchangeSpec exchange;
  exchange.rate_limits = {{"REQUEST_WEIGHT", "MINUTE", 1, 2'000'000'000},
                          {"ORDERS", "SECOND", 10, 2'000'000'000},
                          {"ORDERS", "DAY", 1, 2'000'000'000},
                          {"RAW_REQUESTS", "MINUTE", 5, 2'000'000'000}};
  SystemClock clock;
  keys::IpAllowlist no_proxies;
  api::RateLimitGate gate(exchange, clock, no_proxies);
  auth::RateLimiter& limiter = gate.limiter();
  api::Router router;
  router.add({"GET", "/api/v3/account", api::Security::kUserData, 20, false, [](api::Context&) { return api::Response{}; }});
  const api::Router::Match match = router.match("GET", "/api/v3/account");

  std::vector<api::Request> requests(static_cast<size_t>(n_ips));
  for (int i = 0; i < n_ips; ++i) {
    auto& r = requests[static_cast<size_t>(i)];
    r.method = "GET";
    r.path = "/api/v3/account";
    r.remote_ip = "10." + std::to_string(i >> 16 & 255) + "." + std::to_string(i >> 8 & 255) + "." + std::to_string(i & 255);
  }
  const size_t n_requests = static_cast<size_t>(n_ips);
  auto request_of = [&](int i) -> const api::Request& { return requests[static_cast<size_t>(i) * 7919 % n_requests]; };

  crypto::HmacSha256Key key("bench-secret-bench-secret-bench-secret-bench-secret-bench-secret-1");
  const std::string payload(200, 'q');

  std::vector<double> empty_ns, hmac_ns, ip_ns, gate_ns, order_ns, hmac2_ns, ip2_ns, gate2_ns, same2_ns;
  for (int r = 0; r < rounds; ++r) {
    empty_ns.push_back(ns_per(per_round, [&](int i) { return request_of(i).remote_ip.size(); }));
    hmac_ns.push_back(ns_per(per_round, [&](int i) { return key.mac(payload).size() + static_cast<size_t>(i); }));
    // The limiter alone: parse the IP, find its slot, count weight and raw request.
    ip_ns.push_back(ns_per(per_round, [&](int i) {
      return static_cast<size_t>(limiter.admit_ip(request_of(i).remote_ip, 20).used[0]);
    }));
    // What Api::handle adds: which requests count, client_ip, the limiter, the weight header.
    gate_ns.push_back(ns_per(per_round, [&](int i) {
      api::Response response;
      auto ticket = gate.admit(request_of(i), match);
      gate.add_headers(ticket, response);
      return response.headers.size();
    }));
    order_ns.push_back(ns_per(per_round, [&](int i) {
      return static_cast<size_t>(limiter.admit_order(i % 1000).count[0]);
    }));
    hmac2_ns.push_back(ns_per_2threads(per_round, [&](int, int i) { return key.mac(payload).size() + static_cast<size_t>(i); }));
    ip2_ns.push_back(ns_per_2threads(per_round, [&](int t, int i) {
      return static_cast<size_t>(limiter.admit_ip(request_of(2 * i + t).remote_ip, 20).used[0]);
    }));
    gate2_ns.push_back(ns_per_2threads(per_round, [&](int t, int i) {
      api::Response response;
      auto ticket = gate.admit(request_of(2 * i + t), match);
      gate.add_headers(ticket, response);
      return response.headers.size();
    }));
    same2_ns.push_back(ns_per_2threads(per_round, [&](int, int) {
      return static_cast<size_t>(limiter.admit_ip("203.0.113.9", 1).used[0]);
    }));
  }

  const double e = median(empty_ns), h = median(hmac_ns), ip = median(ip_ns), g = median(gate_ns), o = median(order_ns),
               h2 = median(hmac2_ns), ip2 = median(ip2_ns), g2 = median(gate2_ns), s2 = median(same2_ns);
  std::printf("rate-limit benchmark: %d client IPs, %d rounds x %d requests (medians)\n", n_ips, rounds, per_round);
  std::printf("  empty loop over the same requests       %8.1f ns\n", e);
  std::printf("  bare HMAC-SHA256, 200 bytes (reference) %8.1f ns\n", h);
  std::printf("  limiter: admit_ip, 1 thread             %8.1f ns  (%.3f HMACs)\n", ip, ip / h);
  std::printf("  gate: admit + weight header, 1 thread   %8.1f ns  (%.3f HMACs)\n", g, g / h);
  std::printf("  limiter: admit_order, 1 thread          %8.1f ns  (%.3f HMACs)\n", o, o / h);
  std::printf("  bare HMAC-SHA256, 2 threads            %8.1f ns per MAC per thread (reference)\n", h2);
  std::printf("  limiter: admit_ip, 2 threads            %8.1f ns per check per thread  (%.3f HMACs)\n", ip2, ip2 / h2);
  std::printf("  gate, 2 threads                         %8.1f ns per check per thread  (%.3f HMACs)\n", g2, g2 / h2);
  std::printf("  limiter: 2 threads on one IP (1 shard)  %8.1f ns per check per thread  (%.3f HMACs)\n", s2, s2 / h2);
  std::printf("  tracked IPs at the end                  %8zu\n", limiter.tracked_ips());
  return static_cast<int>(g_sink.load() & 0);
}
