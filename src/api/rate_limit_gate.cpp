#include "api/rate_limit_gate.hpp"

#include <spdlog/spdlog.h>

#include "api/api.hpp"
#include "api/json_body.hpp"

namespace kg::api {

RateLimitGate::RateLimitGate(const ExchangeSpec& exchange, const Clock& clock, const keys::IpAllowlist& trusted_proxies,
                             auth::RateLimitPolicy policy)
    : limiter_(exchange.rate_limits, clock, policy), trusted_proxies_(trusted_proxies) {}

bool RateLimitGate::counts(const Router::Match& m) {
  if (!m.route) return true;
  return m.route->weight > 0 && !std::string_view(m.route->path).starts_with("/console/");
}

RateLimitGate::Ticket RateLimitGate::admit(const Request& request, const Router::Match& m) {
  Ticket t;
  if (!counts(m)) return t;
  const std::string ip = client_ip(request, trusted_proxies_);
  t.ip = limiter_.admit_ip(ip, weight(request, m));
  t.counted = t.ip.counted;
  if (t.ip.verdict == auth::RateLimiter::Verdict::kPass) return t;
  if (t.ip.ban_started) {
    spdlog::warn("event=ip_banned ip={} until_ms={} seconds={}", ip, t.ip.banned_until_ms, t.ip.retry_after_s);
  }
  t.refusal = error_response(limiter_.error(t.ip));
  t.refusal->headers.emplace_back("Retry-After", std::to_string(t.ip.retry_after_s));
  return t;
}

void RateLimitGate::add_headers(const Ticket& ticket, Response& response) const {
  if (!ticket.counted) return;
  const auto& limits = limiter_.ip_limits();
  for (size_t i = 0; i < limits.size(); ++i) {
    if (!limits[i].header.empty()) response.headers.emplace_back(limits[i].header, std::to_string(ticket.ip.used[i]));
  }
}

Response RateLimitGate::order_refusal(const auth::RateLimiter::OrderResult& r) const {
  Response response = error_response(limiter_.error(r));
  response.headers.emplace_back("Retry-After", std::to_string(r.retry_after_s));
  return response;
}

void RateLimitGate::add_order_headers(const auth::RateLimiter::OrderResult& r, Response& response) const {
  const auto& limits = limiter_.order_limits();
  for (size_t i = 0; i < limits.size(); ++i) response.headers.emplace_back(limits[i].header, std::to_string(r.count[i]));
}

}  // namespace kg::api
