#include "matching/order_book.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "matching/make_event.hpp"

namespace kg::matching {

namespace {

bool crosses(const Order& taker, int64_t maker_price) {
  if (taker.type == OrderType::kMarket) return true;
  return taker.side == Side::kBuy ? maker_price <= taker.price : maker_price >= taker.price;
}

bool self_trade(const Order& taker, const Order& maker) {
  return taker.stp != SelfTradePrevention::kNone && taker.owner == maker.owner;
}

}  // namespace

OrderBook::OrderBook(int64_t step) : step_(step) {
  if (step_ <= 0) fatal("the book's step must be positive");
}

Events OrderBook::add(const Order& order) {
  Events out;
  add(order, out);
  return out;
}

Events OrderBook::cancel(int64_t id) {
  Events out;
  cancel(id, out);
  return out;
}

void OrderBook::add(const Order& order, Events& out) {
  if (const char* problem = shape_problem(order, step_)) fatal(problem);
  if (index_.find(order.id) >= 0) fatal("order id is already open in this book");
  out.push_back(accepted_event(order));

  if (order.type == OrderType::kLimitMaker) {
    if (crossing_level(order) != makers(order.side).end()) {
      out.push_back(done_event(order, Reason::kWouldTake, order.quantity, 0));
      return;
    }
    rest(order, order.quantity, out);
    return;
  }
  if (order.type == OrderType::kLimit && order.tif == TimeInForce::kFok && !fillable(order)) {
    out.push_back(done_event(order, Reason::kFokUnfillable, order.quantity, 0));
    return;
  }
  Taker taker{order, order.quantity, order.quote_quantity};
  finish(taker, match(taker, out), out);
}

OrderBook::Levels::iterator OrderBook::crossing_level(const Order& order) {
  Levels& book = makers(order.side);
  if (book.empty()) return book.end();
  auto best = order.side == Side::kBuy ? book.begin() : std::prev(book.end());
  return crosses(order, best->first) ? best : book.end();
}

// Walks the makers a FOK would meet, as match() would, without changing anything: true when they
// fill it whole before self-trade prevention would stop it.
bool OrderBook::fillable(const Order& fok) {
  int64_t have = 0;
  auto walk = [&](auto level, auto end) {
    for (; level != end && crosses(fok, level->first); ++level) {
      if (fok.stp == SelfTradePrevention::kNone) {
        have += level->second.quantity;
        if (have >= fok.quantity) return true;
        continue;
      }
      for (int32_t s = level->second.head; s >= 0; s = nodes_[s].next) {
        const Node& maker = nodes_[s];
        if (self_trade(fok, maker.order)) {
          if (fok.stp == SelfTradePrevention::kExpireMaker) continue;
          return false;  // the taker would expire here, not yet filled
        }
        have += maker.remaining;
        if (have >= fok.quantity) return true;
      }
    }
    return false;
  };
  return fok.side == Side::kBuy ? walk(asks_.begin(), asks_.end())
                                : walk(bids_.rbegin(), bids_.rend());
}

OrderBook::End OrderBook::match(Taker& taker, Events& out) {
  const Order& order = taker.order;
  const bool by_quote = order.by_quote();
  while (by_quote ? taker.quote_left > 0 : taker.remaining > 0) {
    auto level = crossing_level(order);
    if (level == makers(order.side).end()) return End::kExhausted;
    const int32_t slot = level->second.head;
    Node& maker = nodes_[slot];
    const int64_t price = level->first;
    const int64_t want =
        by_quote ? quantity_for_quote(taker.quote_left, price, step_) : taker.remaining;
    const int64_t qty = std::min(want, maker.remaining);
    if (qty == 0) return End::kFilled;  // by quote: less than one step's worth left

    if (self_trade(order, maker.order)) {
      if (order.stp == SelfTradePrevention::kExpireTaker) return End::kSelfTrade;
      out.push_back(done_event(maker.order, Reason::kSelfTrade, maker.remaining, 0));
      remove(slot);
      if (order.stp == SelfTradePrevention::kExpireBoth) return End::kSelfTrade;
      continue;
    }

    out.push_back(trade_event(order, maker.order, price, qty));
    if (by_quote) {
      taker.quote_left -= out.back().quote_quantity;
    } else {
      taker.remaining -= qty;
    }
    maker.remaining -= qty;
    level->second.quantity -= qty;
    if (maker.remaining == 0) {
      out.push_back(done_event(maker.order, Reason::kFilled, 0, 0));
      remove(slot);
    }
  }
  return End::kFilled;
}

void OrderBook::finish(const Taker& taker, End end, Events& out) {
  const Order& order = taker.order;
  const int64_t remaining = order.by_quote() ? 0 : taker.remaining;
  switch (end) {
    case End::kFilled:
      out.push_back(done_event(order, Reason::kFilled, remaining, taker.quote_left));
      return;
    case End::kSelfTrade:
      out.push_back(done_event(order, Reason::kSelfTrade, remaining, taker.quote_left));
      return;
    case End::kExhausted:
      break;
  }
  if (order.type == OrderType::kMarket) {
    out.push_back(done_event(order, Reason::kNoLiquidity, remaining, taker.quote_left));
  } else if (order.tif != TimeInForce::kGtc) {
    out.push_back(done_event(order, Reason::kIocRemainder, remaining, 0));
  } else {
    rest(order, remaining, out);
  }
}

void OrderBook::rest(const Order& order, int64_t remaining, Events& out) {
  int32_t slot;
  if (free_.empty()) {
    if (nodes_.size() >= static_cast<size_t>(INT32_MAX)) fatal("more than 2^31 open orders");
    slot = static_cast<int32_t>(nodes_.size());
    nodes_.emplace_back();
  } else {
    slot = free_.back();
    free_.pop_back();
  }
  auto level = side_levels(order.side).try_emplace(order.price).first;
  Queue& q = level->second;
  Node& node = nodes_[slot];
  node = Node{order, remaining, level, q.tail, -1};
  if (q.tail >= 0) {
    nodes_[q.tail].next = slot;
  } else {
    q.head = slot;
  }
  q.tail = slot;
  q.quantity += remaining;
  ++q.orders;
  index_.insert(order.id, slot);
  out.push_back(rested_event(order, remaining));
}

void OrderBook::remove(int32_t slot) {
  Node& node = nodes_[slot];
  Queue& q = node.level->second;
  if (node.prev >= 0) {
    nodes_[node.prev].next = node.next;
  } else {
    q.head = node.next;
  }
  if (node.next >= 0) {
    nodes_[node.next].prev = node.prev;
  } else {
    q.tail = node.prev;
  }
  q.quantity -= node.remaining;
  if (--q.orders == 0) side_levels(node.order.side).erase(node.level);
  index_.erase(node.order.id);
  free_.push_back(slot);
}

bool OrderBook::cancel(int64_t id, Events& out) {
  const int32_t slot = index_.find(id);
  if (slot < 0) return false;
  const Node& node = nodes_[slot];
  out.push_back(done_event(node.order, Reason::kCanceled, node.remaining, 0));
  remove(slot);
  return true;
}

std::optional<int64_t> OrderBook::best_bid() const {
  if (bids_.empty()) return std::nullopt;
  return bids_.rbegin()->first;
}

std::optional<int64_t> OrderBook::best_ask() const {
  if (asks_.empty()) return std::nullopt;
  return asks_.begin()->first;
}

std::vector<Level> OrderBook::depth(Side side, size_t max_levels) const {
  std::vector<Level> out;
  auto collect = [&](auto level, auto end) {
    for (; level != end && out.size() < max_levels; ++level) {
      out.push_back(Level{level->first, level->second.quantity, level->second.orders});
    }
  };
  if (side == Side::kBuy) {
    collect(bids_.rbegin(), bids_.rend());
  } else {
    collect(asks_.begin(), asks_.end());
  }
  return out;
}

Level OrderBook::level_at(Side side, int64_t price) const {
  const Levels& levels = side == Side::kBuy ? bids_ : asks_;
  auto it = levels.find(price);
  if (it == levels.end()) return Level{price, 0, 0};
  return Level{price, it->second.quantity, it->second.orders};
}

std::optional<OpenOrder> OrderBook::find(int64_t id) const {
  const int32_t slot = index_.find(id);
  if (slot < 0) return std::nullopt;
  return OpenOrder{nodes_[slot].order, nodes_[slot].remaining};
}

}  // namespace kg::matching
