#include "matching/types.hpp"

#include <cstdio>
#include <cstdlib>
#include <limits>

namespace kg::matching {

namespace {
__extension__ using Int128 = __int128;
constexpr Int128 kInt64Max = std::numeric_limits<int64_t>::max();
}  // namespace

void fatal(std::string_view what) {
  std::fprintf(stderr, "keygate: matching invariant broken, stopping: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

int64_t quote_of(int64_t price, int64_t quantity) {
  const Int128 q = static_cast<Int128>(price) * quantity / kOne;  // both >= 0: truncation is floor
  if (q > kInt64Max) fatal("a fill's quote amount overflows int64");
  return static_cast<int64_t>(q);
}

int64_t quantity_for_quote(int64_t quote, int64_t price, int64_t step) {
  // floor(quote * 10^8 / price) is the largest q with price * q <= quote * 10^8, hence with
  // quote_of(price, q) <= quote; rounding down to a step keeps that.
  Int128 q = static_cast<Int128>(quote) * kOne / price;
  if (q > kInt64Max) q = kInt64Max;
  return static_cast<int64_t>(q - q % step);
}

const char* shape_problem(const Order& o, int64_t step) {
  if (o.id <= 0) return "order id must be positive";
  if (o.type == OrderType::kMarket) {
    if (o.price != 0) return "a MARKET order has no price";
    if ((o.quantity > 0) == (o.quote_quantity > 0)) {
      return "a MARKET order needs exactly one of quantity and quote_quantity";
    }
    if (o.quantity < 0 || o.quote_quantity < 0) return "negative amount";
  } else {
    if (o.price <= 0) return "a limit order needs a positive price";
    if (o.quantity <= 0) return "a limit order needs a positive quantity";
    if (o.quote_quantity != 0) return "only MARKET orders take quote_quantity";
  }
  if (o.quantity % step != 0) return "quantity is not a multiple of the step";
  return nullptr;
}

std::string_view to_string(Side side) {
  return side == Side::kBuy ? "BUY" : "SELL";
}

std::string_view to_string(OrderType type) {
  switch (type) {
    case OrderType::kLimit:
      return "LIMIT";
    case OrderType::kLimitMaker:
      return "LIMIT_MAKER";
    case OrderType::kMarket:
      return "MARKET";
  }
  return "?";
}

std::string_view to_string(TimeInForce tif) {
  switch (tif) {
    case TimeInForce::kGtc:
      return "GTC";
    case TimeInForce::kIoc:
      return "IOC";
    case TimeInForce::kFok:
      return "FOK";
  }
  return "?";
}

std::string_view to_string(SelfTradePrevention stp) {
  switch (stp) {
    case SelfTradePrevention::kNone:
      return "NONE";
    case SelfTradePrevention::kExpireTaker:
      return "EXPIRE_TAKER";
    case SelfTradePrevention::kExpireMaker:
      return "EXPIRE_MAKER";
    case SelfTradePrevention::kExpireBoth:
      return "EXPIRE_BOTH";
  }
  return "?";
}

std::string_view to_string(OrderStatus status) {
  switch (status) {
    case OrderStatus::kNew:
      return "NEW";
    case OrderStatus::kPartiallyFilled:
      return "PARTIALLY_FILLED";
    case OrderStatus::kFilled:
      return "FILLED";
    case OrderStatus::kCanceled:
      return "CANCELED";
    case OrderStatus::kRejected:
      return "REJECTED";
    case OrderStatus::kExpired:
      return "EXPIRED";
    case OrderStatus::kExpiredInMatch:
      return "EXPIRED_IN_MATCH";
  }
  return "?";
}

}  // namespace kg::matching
