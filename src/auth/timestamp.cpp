#include "auth/timestamp.hpp"

#include <charconv>

#include "common/decimal.hpp"

namespace kg::auth {

Result<Window> check_timestamp(std::optional<std::string_view> timestamp, std::optional<std::string_view> recv_window,
                               int64_t now_ms) {
  if (!timestamp || timestamp->empty()) return make_error(err::kBadParam, "timestamp");
  int64_t ts = 0;
  auto [end, ec] = std::from_chars(timestamp->data(), timestamp->data() + timestamp->size(), ts);
  if (ec != std::errc() || end != timestamp->data() + timestamp->size() || ts <= 0) {
    return make_error(err::kBadParam, "timestamp");
  }
  // 16 digits and more is microseconds (milliseconds have 13 digits until the year 2286).
  const int64_t ts_us = ts >= 1'000'000'000'000'000 ? ts : ts * 1000;

  int64_t window_us = kDefaultRecvWindowMs * 1000;
  if (recv_window) {
    // Usually a whole number of milliseconds; otherwise up to 3 decimals (microseconds).
    std::optional<int64_t> units;
    int64_t whole = 0;
    auto [rw_end, rw_ec] = std::from_chars(recv_window->data(), recv_window->data() + recv_window->size(), whole);
    if (rw_ec == std::errc() && rw_end == recv_window->data() + recv_window->size() && whole <= kMaxRecvWindowMs * 10) {
      units = whole * 1000;
    } else {
      units = parse_decimal(*recv_window, 3);
    }
    if (!units || *units <= 0) return make_error(err::kBadParam, "recvWindow");
    if (*units > kMaxRecvWindowMs * 1000) return make_error(err::kBadRecvWindow);
    window_us = *units;
  }
  const int64_t now_us = now_ms * 1000;
  if (ts_us >= now_us + 1'000'000) return make_error(err::kTimestampAhead);
  if (now_us - ts_us > window_us) return make_error(err::kTimestampOld);
  return Window{ts_us, window_us, (ts_us + window_us) / 1000 + 1};
}

}  // namespace kg::auth
