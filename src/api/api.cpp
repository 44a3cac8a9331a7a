#include "api/api.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "api/json_body.hpp"
#include "store/db.hpp"

namespace kg::api {

Api::Api(Services services)
    : services_(services), rate_limits_(services_.exchange, services_.clock, services_.trusted_proxies) {
  add_public_routes(router_, services_);
  add_console_routes(router_, services_);
  add_health_routes(router_, services_);
  add_key_routes(router_, services_);
  add_signed_routes(router_, services_);
  add_convert_routes(router_, services_);
  add_order_routes(router_, services_);
  add_market_routes(router_, services_);
  add_user_stream_routes(router_, services_);
  add_capital_routes(router_, services_);
  add_console_wallet_routes(router_, services_);
  add_web_routes(router_);
}

namespace {
auth::Security auth_security(Security s) {
  switch (s) {
    case Security::kUserStream: return auth::Security::kUserStream;
    case Security::kUserData: return auth::Security::kUserData;
    case Security::kTrade: return auth::Security::kTrade;
    default: return auth::Security::kNone;
  }
}

std::string bearer_token(const Request& r) {
  std::string_view auth = r.header("authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (!auth.starts_with(kPrefix)) return {};
  return std::string(auth.substr(kPrefix.size()));
}

bool safe_method(std::string_view m) { return m == "GET" || m == "HEAD"; }

// The session token from the Authorization header (API clients), or from the session cookie
// (the browser console), which for a state-changing call needs the CSRF header as well.
Result<std::string> console_token(const Request& r) {
  if (auto bearer = bearer_token(r); !bearer.empty()) return bearer;
  std::string_view session = cookie(r, kSessionCookie);
  if (session.empty()) return std::string();
  if (!safe_method(r.method)) {
    std::string_view expected = cookie(r, kCsrfCookie);
    if (expected.empty() || r.header("x-csrf-token") != expected) return make_error(err::kCsrf);
  }
  return std::string(session);
}
}  // namespace

std::string_view cookie(const Request& request, std::string_view name) {
  std::string_view all = request.header("cookie");
  while (!all.empty()) {
    size_t semi = all.find(';');
    std::string_view pair = all.substr(0, semi);
    all = semi == std::string_view::npos ? std::string_view{} : all.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
  }
  return {};
}

bool over_tls(const Request& request, const keys::IpAllowlist& trusted) {
  return !trusted.empty() && trusted.allows(request.remote_ip) && request.header("x-forwarded-proto") == "https";
}

std::string client_ip(const Request& request, const keys::IpAllowlist& trusted) {
  if (trusted.empty() || !trusted.allows(request.remote_ip)) return request.remote_ip;
  std::string_view xff = request.header("x-forwarded-for");
  // Walk from the right: the nearest address not of a trusted proxy is the client.
  while (!xff.empty()) {
    size_t comma = xff.rfind(',');
    std::string_view hop = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
    xff = comma == std::string_view::npos ? std::string_view{} : xff.substr(0, comma);
    while (!hop.empty() && hop.front() == ' ') hop.remove_prefix(1);
    while (!hop.empty() && hop.back() == ' ') hop.remove_suffix(1);
    if (hop.empty()) continue;
    // Garbage, or a range where an address belongs ("198.51.100.0/24"): trust nothing.
    if (hop.find('/') != std::string_view::npos || !keys::IpRange::parse(hop)) return request.remote_ip;
    if (!trusted.allows(hop)) return std::string(hop);
  }
  return request.remote_ip;
}

// Key and signature checks (the gatekeeper), then the handler, then the access log.
Response Api::run_signed(const Route& route, Context& ctx) {
  const std::string_view api_key = ctx.request.header("x-mbx-apikey");
  services_.gatekeeper.prefetch(api_key);
  auto params = parse_params(ctx.request.query, ctx.request.body);
  if (!params) return error_response(params.error());
  const std::string ip = client_ip(ctx.request, services_.trusted_proxies);
  auth::SignedRequest signed_request{api_key, ctx.request.query, ctx.request.body,
                                     *params, ip, ctx.request.method, ctx.request.path,
                                     ctx.request.ws_payload, ctx.request.ws_payload_encoded,
                                     ctx.request.ws_session_key};
  auto passed = services_.gatekeeper.check(signed_request, auth_security(route.security), route.permission);
  if (!passed) return error_response(passed.error());
  ctx.key = passed->key;
  ctx.params = &*params;
  const auto own = key_limits_.admit(ctx.key->key, RateLimitGate::weight(ctx.request, Router::Match{&route, false, {}}),
                                     route.counts_as_order, passed->checked_at_ms);
  if (!own.passed) {
    Response refused = error_response(own.orders ? make_error(err::kKeyTooManyOrders, own.limit)
                                                 : make_error(err::kKeyTooMuchWeight, own.limit));
    refused.headers.emplace_back("Retry-After", std::to_string(own.retry_after_s));
    services_.gatekeeper.record(*ctx.key, signed_request, refused.status, passed->checked_at_ms, refused.error);
    return refused;
  }
  Response response = route.counts_as_order
                          ? rate_limits_.place_order(ctx.key->key.user_id, [&] { return route.handler(ctx); })
                          : route.handler(ctx);
  services_.gatekeeper.record(*ctx.key, signed_request, response.status, passed->checked_at_ms, response.error);
  return response;
}

// run_signed for a route that answers later: everything up to the handler runs now, on the calling
// (network) thread; the access log, the order counts, the rate-limit headers and the metrics are
// added when the answer is made.
void Api::handle_async(const Request& request, Router::Match m, Reply reply) {
  const auto started = std::chrono::steady_clock::now();
  const Route& route = *m.route;
  RateLimitGate::Ticket limits = rate_limits_.admit(request, m);
  // What every answer gets on its way out, on the thread that makes it.
  auto finish = [this, limits, started, &route](Response r) {
    rate_limits_.add_headers(limits, r);
    services_.metrics.record(route.path, r.status,
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return r;
  };
  auto now = [&reply, finish](Response r) { reply([finish, r = std::move(r)]() mutable { return finish(std::move(r)); }); };
  if (limits.refusal) return now(std::move(*limits.refusal));
  try {
    const std::string_view api_key = request.header("x-mbx-apikey");
    services_.gatekeeper.prefetch(api_key);
    auto params = std::make_shared<Result<Params>>(parse_params(request.query, request.body));
    if (!*params) return now(error_response(params->error()));
    const std::string ip = client_ip(request, services_.trusted_proxies);
    auth::SignedRequest signed_request{api_key, request.query, request.body, **params, ip,
                                       request.method, request.path, request.ws_payload,
                                       request.ws_payload_encoded, request.ws_session_key};
    auto passed = services_.gatekeeper.check(signed_request, auth_security(route.security), route.permission);
    if (!passed) return now(error_response(passed.error()));
    auto key = passed->key;
    const int64_t checked_at = passed->checked_at_ms;
    auto record = [this, key, ip, &request, checked_at](const Response& r) {
      services_.gatekeeper.record(*key, ip, request.method, request.path, r.status, checked_at, r.error);
    };
    const auto own = key_limits_.admit(key->key, RateLimitGate::weight(request, m), route.counts_as_order, checked_at);
    if (!own.passed) {
      Response refused = error_response(own.orders ? make_error(err::kKeyTooManyOrders, own.limit)
                                                   : make_error(err::kKeyTooMuchWeight, own.limit));
      refused.headers.emplace_back("Retry-After", std::to_string(own.retry_after_s));
      record(refused);
      return now(std::move(refused));
    }
    std::optional<auth::RateLimiter::OrderResult> counted;
    if (route.counts_as_order) {
      counted = rate_limits_.limiter().admit_order(key->key.user_id);
      if (!counted->passed) return now(rate_limits_.order_refusal(*counted));
    }
    Context ctx{request, std::nullopt, std::move(m.params), key, &**params};
    route.async_handler(ctx, [this, reply, finish, record, counted, params](std::function<Response()> make) {
      reply([this, finish, record, counted, make = std::move(make)] {
        Response r = make();
        if (counted && r.status == 200) rate_limits_.add_order_headers(*counted, r);
        record(r);
        return finish(std::move(r));
      });
    });
  } catch (const std::exception& e) {
    spdlog::error("event=handler_error route={} error=\"{}\"", route.path, e.what());
    now(error_response(make_error(err::kUnknown)));
  }
}

Response Api::handle(const Request& request, Router::Match m) {
  const auto started = std::chrono::steady_clock::now();
  Response response;
  std::string_view route_label = "unmatched";
  RateLimitGate::Ticket limits = rate_limits_.admit(request, m);  // before anything else, refused or not
  if (limits.refusal) {
    if (m.route) route_label = m.route->path;
    response = std::move(*limits.refusal);
  } else if (!m.route) {
    response = error_response(make_error(m.path_known ? err::kMethodNotAllowed : err::kNotFound));
  } else {
    route_label = m.route->path;
    Context ctx{request, std::nullopt, std::move(m.params), nullptr, nullptr};
    try {
      switch (m.route->security) {
        case Security::kNone:
          response = m.route->handler(ctx);
          break;
        case Security::kConsole:
          if (auto token = console_token(request); !token) {
            response = error_response(token.error());
          } else if (auto user = services_.accounts.authenticate(*token); !user) {
            response = error_response(user.error());
          } else {
            ctx.user = std::move(*user);
            response = m.route->handler(ctx);
          }
          break;
        case Security::kUserStream:
        case Security::kUserData:
        case Security::kTrade:
          response = run_signed(*m.route, ctx);
          break;
      }
    } catch (const store::StoreError& e) {
      spdlog::error("event=store_error route={} error=\"{}\"", route_label, e.what());
      response = error_response(make_error(err::kStorage));
    } catch (const std::exception& e) {
      spdlog::error("event=handler_error route={} error=\"{}\"", route_label, e.what());
      response = error_response(make_error(err::kUnknown));
    }
  }
  rate_limits_.add_headers(limits, response);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  services_.metrics.record(route_label, response.status, seconds);
  return response;
}

}  // namespace kg::api
