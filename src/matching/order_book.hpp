#pragma once
// One symbol's order book: price-time priority, orders in, events out (types.hpp). Pure: no I/O,
// no threads, no clock; the same calls give the same events. The single-threaded engine owns it.
//
// Rules, which ReferenceBook implements the slow, obvious way and tests hold the two to:
// - A taker matches the best opposite price first and, within a price, the earliest order. Every
//   fill is at the maker's price.
// - LIMIT GTC rests what it cannot fill; IOC expires it (kIocRemainder); FOK first checks that it
//   can fill whole, counting self-trade prevention, and otherwise expires without touching the
//   book (kFokUnfillable). MARKET (time in force ignored) expires what the book cannot fill
//   (kNoLiquidity). LIMIT_MAKER rests, or is REJECTED (kWouldTake) if it would take.
// - MARKET by quote (quoteOrderQty, either side) takes from each maker the least of the maker's
//   quantity and quantity_for_quote(quote left, maker's price, step): whole steps only. When that
//   is 0 the order is FILLED, the rest of its quote unspent (in its kDone event).
// - Self-trade prevention, when the taker's mode is not NONE and a maker it would trade with has
//   the same owner: EXPIRE_TAKER expires the taker, EXPIRE_MAKER expires that maker and goes on,
//   EXPIRE_BOTH expires both; all EXPIRED_IN_MATCH. It only triggers where a trade would happen.
// Costs: add at an existing price and cancel are O(1) (an intrusive list per price level, a hash
// index by id); creating or emptying a level is O(log levels); each fill is O(1).

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory_resource>
#include <optional>
#include <vector>

#include "matching/id_index.hpp"
#include "matching/types.hpp"

namespace kg::matching {

class OrderBook {
 public:
  // step: the market's LOT_SIZE stepSize (1 if the market has none). Order quantities must be
  // multiples of it, so every fill is.
  explicit OrderBook(int64_t step = 1);
  OrderBook(const OrderBook&) = delete;  // the level maps point into pool_
  OrderBook& operator=(const OrderBook&) = delete;

  // Appends the order's events to `out`. The order must pass shape_problem() and its id must not
  // be open here; otherwise the process stops (the caller's bug).
  void add(const Order& order, Events& out);
  Events add(const Order& order);

  // Cancels an open order: one kDone (CANCELED) appended. False, nothing appended, when no order
  // with this id is open (Binance's -2011 "Unknown order sent.").
  bool cancel(int64_t id, Events& out);
  Events cancel(int64_t id);

  std::optional<int64_t> best_bid() const;
  std::optional<int64_t> best_ask() const;
  // Up to max_levels aggregated levels of one side, best first.
  std::vector<Level> depth(Side side, size_t max_levels) const;
  // The level at one price (quantity 0, no orders, when nothing rests there): depth diffs.
  Level level_at(Side side, int64_t price) const;
  std::optional<OpenOrder> find(int64_t id) const;
  size_t size() const { return index_.size(); }
  int64_t step() const { return step_; }

 private:
  struct Queue {  // one price level: a FIFO of nodes linked by index
    int64_t quantity = 0;
    int32_t orders = 0;
    int32_t head = -1;
    int32_t tail = -1;
  };
  using Levels = std::pmr::map<int64_t, Queue>;  // ascending; bids' best is the last

  struct Node {
    Order order;
    int64_t remaining = 0;
    Levels::iterator level;
    int32_t prev = -1;
    int32_t next = -1;
  };

  struct Taker {
    const Order& order;
    int64_t remaining;   // base, by quantity
    int64_t quote_left;  // by quote
  };
  enum class End : uint8_t { kFilled, kExhausted, kSelfTrade };

  Levels& side_levels(Side side) { return side == Side::kBuy ? bids_ : asks_; }
  // The levels a taker on `taker_side` takes from.
  Levels& makers(Side taker_side) { return taker_side == Side::kBuy ? asks_ : bids_; }
  // The best level `order` would take from, or makers(order.side).end() if it does not cross.
  Levels::iterator crossing_level(const Order& order);
  bool fillable(const Order& fok);
  End match(Taker& taker, Events& out);
  void finish(const Taker& taker, End end, Events& out);
  void rest(const Order& order, int64_t remaining, Events& out);
  void remove(int32_t slot);

  int64_t step_;
  std::pmr::unsynchronized_pool_resource pool_;  // the levels' map nodes, recycled
  Levels bids_{&pool_};
  Levels asks_{&pool_};
  std::vector<Node> nodes_;
  std::vector<int32_t> free_;
  IdIndex index_;
};

}  // namespace kg::matching
