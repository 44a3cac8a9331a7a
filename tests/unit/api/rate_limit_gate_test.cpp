// The rate limits at the API's edge, with routes registered here: which requests count and how
// much, the client IP behind trusted proxies, 429/418 answers with Retry-After, the
// X-MBX-USED-WEIGHT-* headers, and the ORDERS hook of a route marked counts_as_order.

#include "api/rate_limit_gate.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kg::api {
namespace {

constexpr int64_t kT0 = 1'699'999'200'000;  // the start of an hour

Response answer(int status) {
  Response r;
  r.status = status;
  r.body = "{}";
  return r;
}
Response ok(Context&) { return answer(200); }

std::string header(const Response& r, std::string_view name) {
  std::string out;
  int found = 0;
  for (const auto& [k, v] : r.headers) {
    if (k == name) {
      out = v;
      ++found;
    }
  }
  EXPECT_LE(found, 1) << name;
  return found ? out : "(absent)";
}

class RateLimitGateTest : public ::testing::Test {
 protected:
  RateLimitGateTest() {
    router.add({"GET", "/api/v3/ping", Security::kNone, 1, false, ok});
    router.add({"GET", "/api/v3/exchangeInfo", Security::kNone, 20, false, ok});
    router.add({"GET", "/api/v3/account", Security::kUserData, 20, false, ok});
    router.add({"GET", "/console/v1/me", Security::kConsole, 1, true, ok});
    router.add({"POST", "/console/v1/login", Security::kNone, 1, true, ok});
    router.add({"GET", "/healthz", Security::kNone, 0, false, ok});
    router.add(Route{"POST", "/api/v3/order", Security::kTrade, 1, true, ok, keys::Permission::kTrade}.orders());
    router.add(Route{"GET", "/api/v3/depth", Security::kNone, 5, true, ok}.weighed(
        [](std::string_view query) { return query.find("limit=500") != std::string_view::npos ? 25 : 5; }));
    exchange.rate_limits = {{"REQUEST_WEIGHT", "MINUTE", 1, 50},
                            {"ORDERS", "SECOND", 10, 2},
                            {"ORDERS", "DAY", 1, 100},
                            {"RAW_REQUESTS", "MINUTE", 5, 1000}};
  }

  Request get(std::string path, std::string ip = "203.0.113.5") {
    Request r;
    r.method = "GET";
    r.path = std::move(path);
    r.remote_ip = std::move(ip);
    return r;
  }
  // What Api::handle does around the handler.
  Response serve(RateLimitGate& gate, const Request& request) {
    auto m = router.match(request.method, request.path);
    auto ticket = gate.admit(request, m);
    Response response = ticket.refusal ? std::move(*ticket.refusal) : answer(m.route ? 200 : 404);
    gate.add_headers(ticket, response);
    return response;
  }

  Router router;
  ExchangeSpec exchange;
  keys::IpAllowlist no_proxies;
  ManualClock clock{kT0 + 15'000};
};

TEST_F(RateLimitGateTest, WhatCounts) {
  auto counts = [&](const char* method, const char* path) { return RateLimitGate::counts(router.match(method, path)); };
  EXPECT_TRUE(counts("GET", "/api/v3/ping"));
  EXPECT_TRUE(counts("GET", "/api/v3/account"));
  EXPECT_TRUE(counts("POST", "/api/v3/order"));
  EXPECT_TRUE(counts("GET", "/no/such/path"));  // weight 1
  EXPECT_TRUE(counts("DELETE", "/api/v3/ping"));
  EXPECT_TRUE(counts("GET", "/console/v1/nothing-here"));  // no route: counted like any unknown path
  EXPECT_FALSE(counts("GET", "/console/v1/me"));
  EXPECT_FALSE(counts("POST", "/console/v1/login"));  // locked per email instead
  EXPECT_FALSE(counts("GET", "/healthz"));
  EXPECT_EQ(RateLimitGate::weight(get("/api/v3/exchangeInfo"), router.match("GET", "/api/v3/exchangeInfo")), 20);
  EXPECT_EQ(RateLimitGate::weight(get("/nope"), router.match("GET", "/nope")), 1);
  // A weighed route: the weight follows the parameters.
  Request depth = get("/api/v3/depth");
  EXPECT_EQ(RateLimitGate::weight(depth, router.match("GET", "/api/v3/depth")), 5);
  depth.query = "symbol=BTCUSDT&limit=500";
  EXPECT_EQ(RateLimitGate::weight(depth, router.match("GET", "/api/v3/depth")), 25);
  RateLimitGate gate(exchange, clock, no_proxies);
  EXPECT_EQ(header(serve(gate, depth), "X-MBX-USED-WEIGHT-1M"), "25");
}

TEST_F(RateLimitGateTest, CountedAnswersCarryTheUsedWeightAndOthersNothing) {
  RateLimitGate gate(exchange, clock, no_proxies);
  EXPECT_EQ(header(serve(gate, get("/api/v3/exchangeInfo")), "X-MBX-USED-WEIGHT-1M"), "20");
  EXPECT_EQ(header(serve(gate, get("/api/v3/ping")), "X-MBX-USED-WEIGHT-1M"), "21");
  Response missing = serve(gate, get("/nope"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(header(missing, "X-MBX-USED-WEIGHT-1M"), "22");
  EXPECT_EQ(header(serve(gate, get("/console/v1/me")), "X-MBX-USED-WEIGHT-1M"), "(absent)");
  EXPECT_EQ(header(serve(gate, get("/healthz")), "X-MBX-USED-WEIGHT-1M"), "(absent)");
  EXPECT_EQ(header(serve(gate, get("/api/v3/ping")), "X-MBX-USED-WEIGHT-1M"), "23");
  EXPECT_EQ(header(serve(gate, get("/api/v3/ping")), "X-MBX-ORDER-COUNT-10S"), "(absent)");
}

TEST_F(RateLimitGateTest, OverTheLimitIs429ThenABan418) {
  RateLimitGate gate(exchange, clock, no_proxies, [] {
    auth::RateLimitPolicy p;
    p.strikes_before_ban = 2;
    return p;
  }());
  for (int i = 0; i < 2; ++i) ASSERT_EQ(serve(gate, get("/api/v3/exchangeInfo")).status, 200);
  ASSERT_EQ(serve(gate, get("/api/v3/ping")).status, 200);  // 41
  Response over = serve(gate, get("/api/v3/exchangeInfo"));  // 61
  EXPECT_EQ(over.status, 429);
  EXPECT_EQ(over.body,
            "{\"code\":-1003,\"msg\":\"Too much request weight used; current limit is 50 request weight per 1 MINUTE. "
            "Please use WebSocket Streams for live updates to avoid polling the API.\"}");
  EXPECT_EQ(header(over, "Retry-After"), "45");
  EXPECT_EQ(header(over, "X-MBX-USED-WEIGHT-1M"), "61");
  EXPECT_EQ(serve(gate, get("/console/v1/me")).status, 200);  // the console is not limited
  EXPECT_EQ(serve(gate, get("/api/v3/ping")).status, 429);
  Response ban = serve(gate, get("/api/v3/ping"));
  EXPECT_EQ(ban.status, 418);
  EXPECT_EQ(header(ban, "Retry-After"), "120");
  EXPECT_NE(ban.body.find("\"code\":-1003"), std::string::npos);
  EXPECT_NE(ban.body.find("IP banned until " + std::to_string(kT0 + 15'000 + 120'000) + "."), std::string::npos);
  Response banned = serve(gate, get("/api/v3/time-does-not-matter"));
  EXPECT_EQ(banned.status, 418);
  EXPECT_EQ(header(banned, "X-MBX-USED-WEIGHT-1M"), "(absent)");  // not counted
  EXPECT_EQ(serve(gate, get("/healthz")).status, 200);
  EXPECT_EQ(serve(gate, get("/api/v3/ping", "203.0.113.6")).status, 200);
}

TEST_F(RateLimitGateTest, TheClientBehindATrustedProxyIsCountedNotTheProxy) {
  auto proxies = *keys::IpAllowlist::parse_list("127.0.0.1");
  RateLimitGate gate(exchange, clock, proxies);
  auto via = [&](const char* client) {
    Request r = get("/api/v3/exchangeInfo", "127.0.0.1");
    r.headers.emplace_back("x-forwarded-for", client);
    return r;
  };
  EXPECT_EQ(header(serve(gate, via("198.51.100.1")), "X-MBX-USED-WEIGHT-1M"), "20");
  EXPECT_EQ(header(serve(gate, via("198.51.100.1")), "X-MBX-USED-WEIGHT-1M"), "40");
  EXPECT_EQ(serve(gate, via("198.51.100.1")).status, 429);
  EXPECT_EQ(header(serve(gate, via("198.51.100.2")), "X-MBX-USED-WEIGHT-1M"), "20");
  EXPECT_EQ(header(serve(gate, get("/api/v3/exchangeInfo", "127.0.0.1")), "X-MBX-USED-WEIGHT-1M"), "20");

  // Without trusted proxies the header is the client's word: ignored.
  RateLimitGate direct(exchange, clock, no_proxies);
  EXPECT_EQ(header(serve(direct, via("198.51.100.1")), "X-MBX-USED-WEIGHT-1M"), "20");
  EXPECT_EQ(header(serve(direct, via("198.51.100.2")), "X-MBX-USED-WEIGHT-1M"), "40");
}

TEST_F(RateLimitGateTest, AnOrderRouteCountsOrdersPerAccount) {
  RateLimitGate gate(exchange, clock, no_proxies);
  auto m = router.match("POST", "/api/v3/order");
  ASSERT_TRUE(m.route);
  ASSERT_TRUE(m.route->counts_as_order);
  EXPECT_FALSE(router.match("GET", "/api/v3/account").route->counts_as_order);

  int ran = 0;
  auto place = [&](int64_t account, int status = 200) {
    return gate.place_order(account, [&] {
      ++ran;
      return answer(status);
    });
  };
  Response first = place(7);
  EXPECT_EQ(header(first, "X-MBX-ORDER-COUNT-10S"), "1");
  EXPECT_EQ(header(first, "X-MBX-ORDER-COUNT-1D"), "1");
  Response rejected = place(7, 400);  // counted, but only successful orders carry the headers
  EXPECT_EQ(header(rejected, "X-MBX-ORDER-COUNT-10S"), "(absent)");
  Response refused = place(7);
  EXPECT_EQ(ran, 2);  // the handler did not run
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.body, "{\"code\":-1015,\"msg\":\"Too many new orders; current limit is 2 orders per 10 SECOND.\"}");
  EXPECT_EQ(refused.error, "-1015 Too many new orders; current limit is 2 orders per 10 SECOND.");
  EXPECT_EQ(header(refused, "Retry-After"), "5");
  EXPECT_EQ(header(refused, "X-MBX-ORDER-COUNT-10S"), "(absent)");
  EXPECT_EQ(header(place(8), "X-MBX-ORDER-COUNT-10S"), "1");  // another account

  clock.set_ms(kT0 + 20'000);
  Response later = place(7);
  EXPECT_EQ(later.status, 200);
  EXPECT_EQ(header(later, "X-MBX-ORDER-COUNT-10S"), "1");
  EXPECT_EQ(header(later, "X-MBX-ORDER-COUNT-1D"), "3");
}

}  // namespace
}  // namespace kg::api
