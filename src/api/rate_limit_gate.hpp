#pragma once
// Binance's rate limits at the API's edge: which requests count and how much (the route table's
// weights), the 429 / 418 answers with Retry-After, and the X-MBX-USED-WEIGHT-<n><unit> and
// X-MBX-ORDER-COUNT-<n><unit> headers. Counting is auth::RateLimiter's; the limits are
// ExchangeSpec::rate_limits, the very ones exchangeInfo publishes.
//
// Api::handle calls `admit` before anything else (before the gatekeeper, so a bad key counts too)
// and `add_headers` on whatever it answers; run_signed wraps the handler of a route marked
// `counts_as_order` in `place_order`, after the gatekeeper, with the key's account.

#include <optional>
#include <string>
#include <string_view>

#include "api/http.hpp"
#include "api/router.hpp"
#include "auth/rate_limiter.hpp"
#include "common/clock.hpp"
#include "common/market.hpp"
#include "keys/ip_allowlist.hpp"

namespace kg::api {

class RateLimitGate {
 public:
  RateLimitGate(const ExchangeSpec& exchange, const Clock& clock, const keys::IpAllowlist& trusted_proxies,
                auth::RateLimitPolicy policy = {});

  // Whether a request counts against its IP: every request without a route (weight 1: unknown
  // paths, wrong methods) and every route of weight > 0 outside /console/. The console (whose
  // logins and 2FA codes have their own locks), /healthz, /readyz, /metrics and the console's
  // files (routes of weight 0) are not Binance endpoints and count nowhere.
  static bool counts(const Router::Match& m);
  static int weight(const Request& request, const Router::Match& m) {
    if (!m.route) return 1;
    return m.route->weigh ? m.route->weigh(request.query) : m.route->weight;
  }

  struct Ticket {
    bool counted = false;
    auth::RateLimiter::IpResult ip;
    std::optional<Response> refusal;  // 429 or 418: answer this, run nothing else
  };
  // Counts the request against its client IP (client_ip(): trusted proxies respected).
  Ticket admit(const Request& request, const Router::Match& m);
  // X-MBX-USED-WEIGHT-<n><unit> for each REQUEST_WEIGHT interval, on a counted request's answer.
  void add_headers(const Ticket& ticket, Response& response) const;

  // Runs an order-placing route's handler if the account is within its ORDERS limits (else 429
  // -1015 with Retry-After, not counted); an answer of 200 gets X-MBX-ORDER-COUNT-<n><unit>.
  template <typename Handler>
  Response place_order(int64_t account, Handler&& handler) {
    const auto counted = limiter_.admit_order(account);
    if (!counted.passed) return order_refusal(counted);
    Response response = handler();
    if (response.status == 200) add_order_headers(counted, response);
    return response;
  }

  auth::RateLimiter& limiter() { return limiter_; }

  // place_order in two steps, for a handler that answers later: count (refused: the 429 to send),
  // then add the counts to its answer.
  Response order_refusal(const auth::RateLimiter::OrderResult& r) const;
  void add_order_headers(const auth::RateLimiter::OrderResult& r, Response& response) const;

 private:

  auth::RateLimiter limiter_;
  const keys::IpAllowlist& trusted_proxies_;
};

}  // namespace kg::api
