#include "auth/key_limiter.hpp"

namespace kg::auth {

namespace {
constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kOrderWindowMs = 10'000;

int64_t seconds_left(int64_t window_ms, int64_t now_ms) {
  return (window_ms - now_ms % window_ms + 999) / 1000;
}
}  // namespace

KeyLimiter::Verdict KeyLimiter::admit(const keys::ApiKey& key, int64_t weight, bool order, int64_t now_ms) {
  const keys::KeyLimits& l = key.limits;
  if (l.weight_per_minute == 0 && (l.orders_per_10s == 0 || !order)) return {};
  std::lock_guard lock(mu_);
  if (by_key_.size() > 100'000) {  // keys idle for a minute need no counters
    std::erase_if(by_key_, [now_ms](const auto& kv) { return kv.second.weight_window < now_ms / kMinuteMs - 1; });
  }
  Windows& w = by_key_[key.id];
  const int64_t minute = now_ms / kMinuteMs;
  const int64_t ten_s = now_ms / kOrderWindowMs;
  if (w.weight_window != minute) w.weight_window = minute, w.weight = 0;
  if (w.order_window != ten_s) w.order_window = ten_s, w.orders = 0;
  if (l.weight_per_minute > 0 && w.weight + weight > l.weight_per_minute) {
    return Verdict{false, false, l.weight_per_minute, seconds_left(kMinuteMs, now_ms)};
  }
  if (order && l.orders_per_10s > 0 && w.orders + 1 > l.orders_per_10s) {
    return Verdict{false, true, l.orders_per_10s, seconds_left(kOrderWindowMs, now_ms)};
  }
  w.weight += weight;
  if (order) w.orders += 1;
  return {};
}

}  // namespace kg::auth
