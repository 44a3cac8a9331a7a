// Seeded random order flow applied to OrderBook and ReferenceBook at once: after every operation
// the two must have emitted the same events and hold the same depth. Alongside, the events are
// checked on their own: the book is never crossed, every fill is whole steps at the maker's price
// within the taker's limit, with quote = quote_of(price, qty); what the buyer gets the seller gives
// (base and quote summed over owners stay zero); each order's executed + left equals what it asked
// for, its quote never exceeds its hold or quoteOrderQty, and its status follows from its events.
// Replaying a seed's operations into a fresh book gives the same events (determinism).
// A failure names its seed: rerun with --gtest_filter and KG_MATCHING_SEED=<seed> to see only it.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "matching/book_helpers.hpp"
#include "matching/order_book.hpp"
#include "matching/reference_book.hpp"

namespace kg::matching {
namespace {

constexpr int kSeeds = 2000;
constexpr int kOperations = 250;
constexpr int64_t kOwners = 4;
constexpr int64_t kMid = 100 * kOne;
constexpr int64_t kTick = kOne / 100;

struct Op {
  bool is_cancel = false;
  Order order;     // add
  int64_t id = 0;  // cancel
};

// What the events have said about one order.
struct Track {
  Order order;
  int64_t filled = 0;  // base
  int64_t quote = 0;   // quote paid or received
  bool rested = false;
  bool done = false;
  OrderStatus status = OrderStatus::kNew;
};

class Simulation {
 public:
  explicit Simulation(uint64_t seed) : rng_(seed) {
    const int64_t steps[] = {1, 1000, kOne / 100};
    step_ = steps[pick(0, 2)];
    fast_ = std::make_unique<OrderBook>(step_);
    ref_ = std::make_unique<ReferenceBook>(step_);
  }

  void run_one() {
    Op op = next_op();
    ops_.push_back(op);
    Events fast_events, ref_events;
    if (op.is_cancel) {
      const bool a = fast_->cancel(op.id, fast_events);
      const bool b = ref_->cancel(op.id, ref_events);
      ASSERT_EQ(a, b) << "cancel " << op.id;
    } else {
      fast_->add(op.order, fast_events);
      ref_->add(op.order, ref_events);
    }
    if (fast_events != ref_events) {  // the text first: it is what a reader can compare
      ASSERT_EQ(test::text(fast_events), test::text(ref_events)) << describe(op);
      ASSERT_EQ(fast_events, ref_events) << describe(op);
    }
    log_.insert(log_.end(), fast_events.begin(), fast_events.end());
    ASSERT_NO_FATAL_FAILURE(compare_books());
    ASSERT_NO_FATAL_FAILURE(check_events(op, fast_events));
  }

  void check_open_orders() {
    for (const auto& [id, t] : tracks_) {
      auto a = fast_->find(id);
      ASSERT_EQ(a, ref_->find(id)) << "order " << id;
      ASSERT_EQ(a.has_value(), t.rested && !t.done) << "order " << id;
      if (a) {
        ASSERT_EQ(a->remaining, t.order.quantity - t.filled) << "order " << id;
      }
    }
  }

  // Same operations, fresh book: the same events.
  void check_replay() const {
    OrderBook again(step_);
    Events log;
    for (const auto& op : ops_) {
      if (op.is_cancel) {
        again.cancel(op.id, log);
      } else {
        again.add(op.order, log);
      }
    }
    ASSERT_EQ(log, log_);
  }

  int64_t trades() const { return trades_; }
  const std::map<int64_t, Track>& tracks() const { return tracks_; }

 private:
  int64_t pick(int64_t lo, int64_t hi) {  // inclusive; plain modulo is the same on every platform
    return lo + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1));
  }

  Op next_op() {
    Op op;
    if (pick(0, 7) == 0) {
      op.is_cancel = true;
      if (!open_.empty() && pick(0, 9) > 0) {
        auto it = open_.begin();
        std::advance(it, pick(0, static_cast<int64_t>(open_.size()) - 1));
        op.id = it->first;
      } else {
        op.id = pick(1, next_id_ + 3);  // often closed or unknown
      }
      return op;
    }
    Order& o = op.order;
    o.id = ++next_id_;
    o.owner = pick(1, kOwners);
    o.side = pick(0, 1) == 0 ? Side::kBuy : Side::kSell;
    const int64_t stp = pick(0, 9);
    o.stp =
        stp < 4 ? SelfTradePrevention::kNone : static_cast<SelfTradePrevention>((stp - 4) / 2 + 1);
    const int64_t type = pick(0, 19);
    if (type < 17) {
      o.type = type < 13 ? OrderType::kLimit : OrderType::kLimitMaker;
      const int64_t tif = pick(0, 4);
      o.tif = tif < 3 ? TimeInForce::kGtc : tif == 3 ? TimeInForce::kIoc : TimeInForce::kFok;
      if (o.type == OrderType::kLimitMaker) o.tif = TimeInForce::kGtc;
      o.price = kMid + pick(-8, 8) * kTick;
      o.quantity = pick(1, 30) * step_;
    } else {
      o.type = OrderType::kMarket;
      if (pick(0, 1) == 0) {
        o.quantity = pick(1, 60) * step_;
      } else {
        o.quote_quantity = pick(1, quote_of(kMid, 60 * step_));
      }
    }
    return op;
  }

  static std::string describe(const Op& op) {
    if (op.is_cancel) return "cancel " + std::to_string(op.id);
    const Order& o = op.order;
    return "add " + std::to_string(o.id) + " owner " + std::to_string(o.owner) + " " +
           std::string(to_string(o.side)) + " " + std::string(to_string(o.type)) + " " +
           std::string(to_string(o.tif)) + " " + test::amount(o.quantity) + "@" +
           test::amount(o.price) + " quote " + test::amount(o.quote_quantity) + " " +
           std::string(to_string(o.stp));
  }

  void compare_books() {
    for (Side side : {Side::kBuy, Side::kSell}) {
      const auto a = fast_->depth(side, 1000);
      const auto b = ref_->depth(side, 1000);
      if (a != b) {
        ASSERT_EQ(test::text(a), test::text(b)) << to_string(side);
      }
    }
    ASSERT_EQ(fast_->best_bid(), ref_->best_bid());
    ASSERT_EQ(fast_->best_ask(), ref_->best_ask());
    ASSERT_EQ(fast_->size(), ref_->size());
    if (fast_->best_bid() && fast_->best_ask()) {
      ASSERT_LT(*fast_->best_bid(), *fast_->best_ask()) << "crossed book";
    }
  }

  void check_events(const Op& op, const Events& events) {
    if (op.is_cancel) {
      ASSERT_LE(events.size(), 1u);
    } else {
      ASSERT_GE(events.size(), 2u);
      ASSERT_EQ(events.front().type, EventType::kAccepted);
      ASSERT_EQ(events.front().order_id, op.order.id);
      ASSERT_TRUE(events.back().type == EventType::kRested ||
                  events.back().type == EventType::kDone);
      ASSERT_EQ(events.back().order_id, op.order.id);
      tracks_[op.order.id].order = op.order;
    }
    for (const Event& e : events) ASSERT_NO_FATAL_FAILURE(apply(e));
    int64_t base = 0, quote = 0;
    for (const auto& [owner, v] : base_) base += v;
    for (const auto& [owner, v] : quote_) quote += v;
    ASSERT_EQ(base, 0) << "base created or destroyed";
    ASSERT_EQ(quote, 0) << "quote created or destroyed";
  }

  void apply(const Event& e) {
    Track& t = tracks_.at(e.order_id);
    ASSERT_FALSE(t.done) << "event after done for " << e.order_id;
    switch (e.type) {
      case EventType::kAccepted:
        break;
      case EventType::kTrade:
        ASSERT_NO_FATAL_FAILURE(apply_trade(e, t, tracks_.at(e.maker_id)));
        break;
      case EventType::kRested:
        ASSERT_EQ(e.quantity, t.order.quantity - t.filled);
        ASSERT_EQ(e.status, t.filled == 0 ? OrderStatus::kNew : OrderStatus::kPartiallyFilled);
        t.rested = true;
        t.status = e.status;
        open_[e.order_id] = true;
        break;
      case EventType::kDone:
        ASSERT_NO_FATAL_FAILURE(apply_done(e, t));
        break;
    }
  }

  void apply_trade(const Event& e, Track& taker, Track& maker) {
    ASSERT_TRUE(maker.rested && !maker.done) << "maker " << e.maker_id << " is not open";
    ASSERT_NE(maker.order.side, taker.order.side);
    ASSERT_EQ(e.side, taker.order.side);
    ASSERT_EQ(e.owner, taker.order.owner);
    ASSERT_EQ(e.maker_owner, maker.order.owner);
    ASSERT_GT(e.quantity, 0);
    ASSERT_EQ(e.quantity % step_, 0) << "not whole steps";
    ASSERT_EQ(e.price, maker.order.price) << "not at the maker's price";
    ASSERT_EQ(e.quote_quantity, quote_of(e.price, e.quantity));
    if (taker.order.type != OrderType::kMarket) {
      if (taker.order.side == Side::kBuy) {
        ASSERT_LE(e.price, taker.order.price);
      }
      if (taker.order.side == Side::kSell) {
        ASSERT_GE(e.price, taker.order.price);
      }
    }
    if (taker.order.stp != SelfTradePrevention::kNone) {
      ASSERT_NE(e.owner, e.maker_owner);
    }
    for (Track* t : {&taker, &maker}) {
      t->filled += e.quantity;
      t->quote += e.quote_quantity;
      if (!t->order.by_quote()) {
        ASSERT_LE(t->filled, t->order.quantity);
      }
      // A resting BUY's hold, quote_of(price, quantity), always covers what it pays.
      if (t->order.side == Side::kBuy && t->order.type != OrderType::kMarket) {
        ASSERT_LE(t->quote, quote_of(t->order.price, t->order.quantity));
      }
    }
    ASSERT_LE(taker.quote, taker.order.by_quote() ? taker.order.quote_quantity : INT64_MAX);
    maker.status = OrderStatus::kPartiallyFilled;
    const bool taker_buys = taker.order.side == Side::kBuy;
    const int64_t buyer = taker_buys ? e.owner : e.maker_owner;
    const int64_t seller = taker_buys ? e.maker_owner : e.owner;
    base_[buyer] += e.quantity;
    base_[seller] -= e.quantity;
    quote_[buyer] -= e.quote_quantity;
    quote_[seller] += e.quote_quantity;
    ++trades_;
  }

  void apply_done(const Event& e, Track& t) {
    const Order& o = t.order;
    ASSERT_EQ(e.quantity, o.by_quote() ? 0 : o.quantity - t.filled) << "base left";
    ASSERT_EQ(e.quote_quantity, o.by_quote() ? o.quote_quantity - t.quote : 0) << "quote left";
    ASSERT_EQ(e.price, o.price);
    switch (e.reason) {
      case Reason::kFilled:
        ASSERT_EQ(e.status, OrderStatus::kFilled);
        if (!o.by_quote()) {
          ASSERT_EQ(e.quantity, 0);
        }
        break;
      case Reason::kCanceled:
        ASSERT_TRUE(t.rested);
        ASSERT_EQ(e.status, OrderStatus::kCanceled);
        break;
      case Reason::kIocRemainder:
        ASSERT_EQ(o.tif, TimeInForce::kIoc);
        ASSERT_EQ(e.status, OrderStatus::kExpired);
        break;
      case Reason::kFokUnfillable:
        ASSERT_EQ(o.tif, TimeInForce::kFok);
        ASSERT_EQ(t.filled, 0);
        ASSERT_EQ(e.status, OrderStatus::kExpired);
        break;
      case Reason::kNoLiquidity:
        ASSERT_EQ(o.type, OrderType::kMarket);
        ASSERT_EQ(e.status, OrderStatus::kExpired);
        break;
      case Reason::kWouldTake:
        ASSERT_EQ(o.type, OrderType::kLimitMaker);
        ASSERT_EQ(e.status, OrderStatus::kRejected);
        break;
      case Reason::kSelfTrade:
        ASSERT_EQ(e.status, OrderStatus::kExpiredInMatch);
        break;
      case Reason::kNone:
        FAIL() << "kDone without a reason";
    }
    if (o.tif == TimeInForce::kFok && o.type == OrderType::kLimit) {
      ASSERT_TRUE(e.reason == Reason::kFilled || e.reason == Reason::kFokUnfillable);
    }
    t.done = true;
    t.status = e.status;
    open_.erase(e.order_id);
  }

  std::mt19937_64 rng_;
  int64_t step_ = 1;
  std::unique_ptr<OrderBook> fast_;
  std::unique_ptr<ReferenceBook> ref_;
  std::vector<Op> ops_;
  Events log_;
  std::map<int64_t, Track> tracks_;
  std::map<int64_t, bool> open_;             // ids resting now, by the events
  std::map<int64_t, int64_t> base_, quote_;  // per owner, from the trades
  int64_t next_id_ = 0;
  int64_t trades_ = 0;
};

TEST(MatchingDifferential, FastBookAgreesWithTheReference) {
  int first = 1, last = kSeeds;
  if (const char* only = std::getenv("KG_MATCHING_SEED")) first = last = std::atoi(only);
  int64_t trades = 0;
  std::map<OrderStatus, int> statuses;
  for (int seed = first; seed <= last; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " (KG_MATCHING_SEED=" + std::to_string(seed) +
                 ")");
    Simulation sim(static_cast<uint64_t>(seed));
    for (int op = 0; op < kOperations; ++op) {
      SCOPED_TRACE("operation " + std::to_string(op));
      ASSERT_NO_FATAL_FAILURE(sim.run_one());
      if (op % 50 == 49) {
        ASSERT_NO_FATAL_FAILURE(sim.check_open_orders());
      }
    }
    ASSERT_NO_FATAL_FAILURE(sim.check_open_orders());
    if (seed % 20 == 0) {
      ASSERT_NO_FATAL_FAILURE(sim.check_replay());
    }
    trades += sim.trades();
    for (const auto& [id, t] : sim.tracks()) statuses[t.status]++;
  }
  std::string counts = "trades " + std::to_string(trades);
  for (const auto& [status, n] : statuses)
    counts += ", " + std::string(to_string(status)) + " " + std::to_string(n);
  std::printf("%s\n", counts.c_str());
  if (first != last) {
    // The flow really reaches every outcome.
    EXPECT_GT(trades, kSeeds * kOperations / 8);
    for (auto s : {OrderStatus::kNew, OrderStatus::kPartiallyFilled, OrderStatus::kFilled,
                   OrderStatus::kCanceled, OrderStatus::kRejected, OrderStatus::kExpired,
                   OrderStatus::kExpiredInMatch}) {
      EXPECT_GT(statuses[s], kSeeds / 8) << to_string(s);
    }
  }
}

}  // namespace
}  // namespace kg::matching
