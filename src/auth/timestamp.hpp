#pragma once
// Binance's timing rule: accept when timestamp < serverTime + 1000 and
// serverTime - timestamp <= recvWindow. Timestamps in milliseconds or microseconds;
// recvWindow in milliseconds with up to 3 decimals, at most 60000.

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.hpp"

namespace kg::auth {

inline constexpr int64_t kDefaultRecvWindowMs = 5000;
inline constexpr int64_t kMaxRecvWindowMs = 60000;

struct Window {
  int64_t timestamp_us = 0;
  int64_t recv_window_us = 0;
  int64_t expires_at_ms = 0;  // after this the request could not be accepted again anyway
};

// `recv_window` may be absent (default 5000).
Result<Window> check_timestamp(std::optional<std::string_view> timestamp, std::optional<std::string_view> recv_window,
                               int64_t now_ms);

}  // namespace kg::auth
