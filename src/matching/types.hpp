#pragma once
// The matching engine's vocabulary: orders in, events out. Prices, quantities and quote amounts
// are int64 units of 10^-8 (kAmountScale), like every amount in keygate. Nothing here knows
// about users, balances, symbols, clocks or JSON: ids and owners are opaque numbers the caller
// assigns, and arrival order is the time in price-time priority.

#include <cstdint>
#include <string_view>
#include <vector>

namespace kg::matching {

enum class Side : uint8_t { kBuy, kSell };
enum class OrderType : uint8_t { kLimit, kLimitMaker, kMarket };
// LIMIT only. LIMIT_MAKER always rests (or is rejected); MARKET takes what it can, like IOC.
enum class TimeInForce : uint8_t { kGtc, kIoc, kFok };
// Binance's selfTradePreventionMode. The taker's mode decides what happens when it meets a
// resting order of the same owner; the maker's mode plays no part.
enum class SelfTradePrevention : uint8_t { kNone, kExpireTaker, kExpireMaker, kExpireBoth };

struct Order {
  int64_t id = 0;     // > 0 and not open in the same book; the caller assigns it
  int64_t owner = 0;  // opaque account id, only compared (self-trade prevention)
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce tif = TimeInForce::kGtc;
  SelfTradePrevention stp = SelfTradePrevention::kNone;
  int64_t price = 0;           // LIMIT, LIMIT_MAKER: > 0. MARKET: 0
  int64_t quantity = 0;        // base, a multiple of the book's step. MARKET by quote: 0
  int64_t quote_quantity = 0;  // MARKET only, instead of quantity: Binance's quoteOrderQty

  bool by_quote() const { return quote_quantity > 0; }
  bool operator==(const Order&) const = default;
};

// Binance's order statuses.
enum class OrderStatus : uint8_t {
  kNew,
  kPartiallyFilled,
  kFilled,
  kCanceled,
  kRejected,
  kExpired,
  kExpiredInMatch,
};

// Why an order is done. Each maps to one status (see the Event comment).
enum class Reason : uint8_t {
  kNone,      // not a kDone event
  kFilled,    // FILLED: nothing left (or, by quote, less than one step's worth at the best price)
  kCanceled,  // CANCELED: cancel(id)
  kIocRemainder,   // EXPIRED: a LIMIT IOC's unfilled rest
  kFokUnfillable,  // EXPIRED: a LIMIT FOK that could not fill whole; nothing was touched
  kNoLiquidity,    // EXPIRED: a MARKET order ran out of orders to take
  kWouldTake,      // REJECTED: a LIMIT_MAKER that would cross (Binance answers -2010
                   // "Order would immediately match and take.")
  kSelfTrade,      // EXPIRED_IN_MATCH: self-trade prevention expired it
};

enum class EventType : uint8_t {
  kAccepted,  // first event of every add(): the book took the order for processing
  kTrade,     // a fill between the taker (order_id) and a resting maker (maker_id)
  kRested,    // the taker's remainder rests on the book: status NEW or PARTIALLY_FILLED
  kDone,      // the order left the book, or never entered it, for `reason`; `status` is final
};

// One flat struct for every event type, so a stream compares with == in tests and copies cheaply.
// An add() emits: kAccepted, then in matching order any kTrade (each followed by the maker's kDone
// when it filled it) and makers' kDone for self-trade prevention, then exactly one of kRested or
// the taker's kDone. cancel() emits one kDone. So an order's status is the status of its last
// kRested or kDone event, or PARTIALLY_FILLED for a maker that traded since it rested.
struct Event {
  EventType type = EventType::kAccepted;
  OrderStatus status = OrderStatus::kNew;  // kRested, kDone
  Reason reason = Reason::kNone;           // kDone
  Side side = Side::kBuy;                  // order_id's side (the taker's for a trade)
  int64_t order_id = 0;                    // the order; for a trade, the taker
  int64_t owner = 0;                       // order_id's owner
  int64_t maker_id = 0;                    // kTrade
  int64_t maker_owner = 0;                 // kTrade
  // kTrade: the maker's price. Otherwise the order's limit price (0 for MARKET).
  int64_t price = 0;
  // kTrade: base traded. kAccepted: the order's quantity. kRested: base resting. kDone: base left
  // unfilled (0 for MARKET by quote).
  int64_t quantity = 0;
  // kTrade: quote_of(price, quantity). For a MARKET by quote, kAccepted: its quoteOrderQty, kDone:
  // what is left of it unspent.
  int64_t quote_quantity = 0;

  bool operator==(const Event&) const = default;
};

using Events = std::vector<Event>;

// One aggregated price level, best first in depth().
struct Level {
  int64_t price = 0;
  int64_t quantity = 0;
  int32_t orders = 0;
  bool operator==(const Level&) const = default;
};

// A resting order as find() reports it.
struct OpenOrder {
  Order order;
  int64_t remaining = 0;  // base still open; order.quantity - remaining is executed
  bool operator==(const OpenOrder&) const = default;
};

inline constexpr int64_t kOne = 100'000'000;  // 1.0 at 8 decimals

// The quote amount of a fill: price * quantity / 10^8, exact in 128 bits, rounded DOWN. Rounding
// down means the sum over a LIMIT BUY's fills never exceeds quote_of(its price, its quantity), so
// a hold of that much always covers them. The buyer pays and the seller gets this same number, so
// the rounding creates or destroys nothing. Overflow is a broken precondition (every resting
// order's own notional fits int64, which validate() checks) and stops the process.
int64_t quote_of(int64_t price, int64_t quantity);

// The most base, in whole steps, whose exact cost price * q / 10^8 is at most `quote` (so
// quote_of(price, q) <= quote too). A MARKET order by quote takes at most this much from each
// maker; when it is 0 the order is FILLED.
int64_t quantity_for_quote(int64_t quote, int64_t price, int64_t step);

// The book's own preconditions on an order (not Binance's filters: see validate.hpp): nullptr when
// it may be added, else what is wrong. Both books stop the process on a violation: the caller
// validates user input first, so one is a bug.
const char* shape_problem(const Order& order, int64_t step);

[[noreturn]] void fatal(std::string_view what);

// Binance's names: "BUY", "LIMIT_MAKER", "GTC", "EXPIRE_TAKER", "PARTIALLY_FILLED", ...
std::string_view to_string(Side side);
std::string_view to_string(OrderType type);
std::string_view to_string(TimeInForce tif);
std::string_view to_string(SelfTradePrevention stp);
std::string_view to_string(OrderStatus status);

}  // namespace kg::matching
