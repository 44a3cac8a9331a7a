#pragma once
// The API: one entry point from the network layer. It matches the route, runs the gatekeeper
// for the route's security type, calls the handler and records metrics.

#include <atomic>
#include <string>

#include "accounts/accounts.hpp"
#include "accounts/address_book.hpp"
#include "auth/gatekeeper.hpp"
#include "auth/key_limiter.hpp"
#include "keys/key_service.hpp"
#include "wallet/convert.hpp"
#include "wallet/wallet.hpp"
#include "trading/trading.hpp"
#include "streams/hub.hpp"
#include "streams/listen_keys.hpp"
#include "api/http.hpp"
#include "api/metrics.hpp"
#include "api/rate_limit_gate.hpp"
#include "api/router.hpp"
#include "api/ws.hpp"
#include "common/clock.hpp"
#include "common/market.hpp"

namespace kg::api {

struct Services {
  accounts::Accounts& accounts;
  keys::KeyService& keys;
  keys::AccessLog& access_log;
  auth::Gatekeeper& gatekeeper;
  const keys::IpAllowlist& trusted_proxies;  // peers whose X-Forwarded-For is believed
  wallet::Wallet& wallet;
  accounts::AddressBook& address_book;
  wallet::Convert& convert;
  const Clock& clock;
  const ExchangeSpec& exchange;
  Metrics& metrics;
  std::atomic<bool>& ready;  // false until started and again while draining
  trading::Trading& trading;
  streams::Hub& hub;
  streams::ListenKeys& listen_keys;
};

class Api {
 public:
  explicit Api(Services services);

  // Routes a request once: the network layer asks `blocking` (may the handler block? then it runs
  // on the worker pool, else inline on the network thread) and hands the match to `handle`.
  Router::Match route(const Request& request) const { return router_.match(request.method, request.path); }
  static bool blocking(const Router::Match& m) { return m.route && m.route->blocking; }
  // A route whose answer comes later (Route::answers_later): the network layer calls handle_async,
  // whose `reply` runs on whatever thread the answer is ready on; its `make` builds the response.
  static bool answers_later(const Router::Match& m) { return m.route && m.route->async_handler; }
  void handle_async(const Request& request, Router::Match match, Reply reply);
  Response handle(const Request& request, Router::Match match);
  Response handle(const Request& request) { return handle(request, route(request)); }
  const Router& router() const { return router_; }
  // A WebSocket upgrade (api/ws.hpp): the session for its path (/ws/..., /stream), or why not
  // (404 for another path, 429 over 300 attempts per 5 minutes per IP, 400 for a bad stream name,
  // -1125 for an unknown listen key).
  Result<std::shared_ptr<WsSession>> open_ws(const Request& upgrade);
  // Once a second (the hub's thread): WebSocket API sessions whose user-stream key went bad end
  // those streams.
  void sweep_ws_sessions(int64_t now_ms);
  auth::RateLimiter& rate_limiter() { return rate_limits_.limiter(); }
  Metrics& metrics() { return services_.metrics; }

 private:
  Response run_signed(const Route& route, Context& ctx);

  Services services_;
  Router router_;
  RateLimitGate rate_limits_;  // Binance's REQUEST_WEIGHT / RAW_REQUESTS / ORDERS, before any handler
  HandshakeLimiter ws_handshakes_{300, 5 * 60 * 1000};
  auth::KeyLimiter key_limits_;  // the limits owners set on their keys, after the gatekeeper
  std::shared_ptr<WsSession> open_ws_api(const Request& upgrade);  // api/ws_api.cpp
  std::mutex ws_api_mu_;
  std::vector<std::weak_ptr<WsSession>> ws_api_sessions_;
};

void add_public_routes(Router& router, const Services& services);
void add_console_routes(Router& router, const Services& services);
void add_health_routes(Router& router, const Services& services);
void add_key_routes(Router& router, const Services& services);
void add_signed_routes(Router& router, const Services& services);
void add_convert_routes(Router& router, const Services& services);
void add_order_routes(Router& router, const Services& services);
void add_market_routes(Router& router, const Services& services);
void add_user_stream_routes(Router& router, const Services& services);
void add_capital_routes(Router& router, const Services& services);
void add_console_wallet_routes(Router& router, const Services& services);
void add_web_routes(Router& router);

// Console sessions in a browser: an HttpOnly, SameSite=Strict cookie carries the session token;
// state-changing calls must repeat the (readable) CSRF cookie in X-CSRF-Token.
inline constexpr std::string_view kSessionCookie = "kg_session";
inline constexpr std::string_view kCsrfCookie = "kg_csrf";
std::string_view cookie(const Request& request, std::string_view name);
bool over_tls(const Request& request, const keys::IpAllowlist& trusted_proxies);

// The client's address: the peer, or the address a trusted proxy reports in X-Forwarded-For.
std::string client_ip(const Request& request, const keys::IpAllowlist& trusted_proxies);

}  // namespace kg::api
