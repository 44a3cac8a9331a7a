#include "trading/hold_bound.hpp"

#include <algorithm>
#include <limits>

namespace kg::trading {

namespace {
__extension__ using Int128 = __int128;
constexpr Int128 kInt64Max = std::numeric_limits<int64_t>::max();

// A bound beyond int64 is as good as "more than anyone holds".
int64_t clamp(Int128 v) {
  return static_cast<int64_t>(std::min(v, kInt64Max));
}
}  // namespace

// Every fill costs quote_of(price, qty), rounded down, and floor(a) + floor(b) <= floor(a + b), so
// the fills taken at one level cost at most quote_of(price, what was taken there). Walking the
// levels in the book's order and taking as much as possible from each is what the matcher does;
// a taker that self-trade prevention stops earlier spends less.
std::optional<int64_t> buy_cost_bound(const std::vector<matching::Level>& asks, int64_t quantity,
                                      bool complete) {
  Int128 cost = 0;
  int64_t left = quantity;
  for (const auto& level : asks) {
    const int64_t take = std::min(left, level.quantity);
    cost += static_cast<Int128>(level.price) * take / matching::kOne;
    left -= take;
    if (left == 0) return clamp(cost);
  }
  if (!complete) return std::nullopt;
  return clamp(cost);
}

// At a level of price p holding R base in k orders, entered with L quote left to receive: each of
// the at most k fills there receives floor(p * q / 10^8) > p * q / 10^8 - 1, so the base T taken
// there satisfies p * T / 10^8 < L + k, i.e. T <= (L + k) * 10^8 / p. When that is less than R
// the taker cannot empty the level and ends in it. Otherwise it takes at most R and leaves the
// level with less than L + k - floor(p * R / 10^8) to receive. Both bounds grow with L, so
// carrying the larger L forward keeps every later bound an upper bound.
std::optional<int64_t> sell_base_bound(const std::vector<matching::Level>& bids, int64_t quote,
                                       bool complete) {
  Int128 base = 0;
  Int128 left = quote;
  for (const auto& level : bids) {
    if (level.quantity <= 0 || level.price <= 0) continue;
    const Int128 cap = (left + level.orders) * matching::kOne / level.price;
    if (cap < level.quantity) return clamp(base + cap);
    base += level.quantity;
    left += level.orders - static_cast<Int128>(level.price) * level.quantity / matching::kOne;
    if (left <= 0) return clamp(base);
  }
  if (!complete) return std::nullopt;
  return clamp(base);
}

}  // namespace kg::trading
