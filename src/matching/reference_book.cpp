#include "matching/reference_book.hpp"

#include <algorithm>
#include <map>

#include "matching/make_event.hpp"

namespace kg::matching {

ReferenceBook::ReferenceBook(int64_t step) : step_(step) {
  if (step_ <= 0) fatal("the book's step must be positive");
}

Events ReferenceBook::add(const Order& order) {
  Events out;
  add(order, out);
  return out;
}

Events ReferenceBook::cancel(int64_t id) {
  Events out;
  cancel(id, out);
  return out;
}

int ReferenceBook::best_maker(const Order& taker) const {
  const bool buy = taker.side == Side::kBuy;
  int best = -1;
  for (int i = 0; i < static_cast<int>(orders_.size()); ++i) {
    const Order& maker = orders_[i].order;
    if (maker.side == taker.side) continue;
    if (taker.type != OrderType::kMarket) {
      if (buy && maker.price > taker.price) continue;
      if (!buy && maker.price < taker.price) continue;
    }
    if (best < 0) {
      best = i;
      continue;
    }
    // Strictly better only: of equal prices the earliest, found first, stays.
    const int64_t best_price = orders_[best].order.price;
    if (buy ? maker.price < best_price : maker.price > best_price) best = i;
  }
  return best;
}

void ReferenceBook::add(const Order& order, Events& out) {
  if (const char* problem = shape_problem(order, step_)) fatal(problem);
  if (find(order.id)) fatal("order id is already open in this book");

  if (order.type == OrderType::kLimit && order.tif == TimeInForce::kFok) {
    // Try it as IOC on a copy; keep the copy only if nothing was left over.
    ReferenceBook trial = *this;
    Order ioc = order;
    ioc.tif = TimeInForce::kIoc;
    Events events;
    trial.take(ioc, events);
    if (events.back().reason == Reason::kFilled) {
      *this = std::move(trial);
      out.insert(out.end(), events.begin(), events.end());
      return;
    }
    out.push_back(accepted_event(order));
    out.push_back(done_event(order, Reason::kFokUnfillable, order.quantity, 0));
    return;
  }
  take(order, out);
}

void ReferenceBook::take(const Order& order, Events& out) {
  out.push_back(accepted_event(order));
  if (order.type == OrderType::kLimitMaker) {
    if (best_maker(order) >= 0) {
      out.push_back(done_event(order, Reason::kWouldTake, order.quantity, 0));
    } else {
      orders_.push_back(OpenOrder{order, order.quantity});
      out.push_back(rested_event(order, order.quantity));
    }
    return;
  }

  const bool by_quote = order.quote_quantity > 0;
  int64_t remaining = order.quantity;
  int64_t quote_left = order.quote_quantity;
  while (by_quote ? quote_left > 0 : remaining > 0) {
    const int i = best_maker(order);
    if (i < 0) {  // nothing left to take
      const Reason why = order.type == OrderType::kMarket ? Reason::kNoLiquidity
                         : order.tif == TimeInForce::kGtc ? Reason::kNone
                                                          : Reason::kIocRemainder;
      if (why == Reason::kNone) {
        orders_.push_back(OpenOrder{order, remaining});
        out.push_back(rested_event(order, remaining));
      } else {
        out.push_back(done_event(order, why, remaining, quote_left));
      }
      return;
    }
    OpenOrder& maker = orders_[i];
    const int64_t price = maker.order.price;
    const int64_t qty = std::min(
        maker.remaining, by_quote ? quantity_for_quote(quote_left, price, step_) : remaining);
    if (qty == 0) break;  // by quote: not one more step affordable; FILLED

    if (order.stp != SelfTradePrevention::kNone && maker.order.owner == order.owner) {
      if (order.stp != SelfTradePrevention::kExpireTaker) {
        out.push_back(done_event(maker.order, Reason::kSelfTrade, maker.remaining, 0));
        orders_.erase(orders_.begin() + i);
      }
      if (order.stp == SelfTradePrevention::kExpireMaker) continue;
      out.push_back(done_event(order, Reason::kSelfTrade, remaining, quote_left));
      return;
    }

    const Event trade = trade_event(order, maker.order, price, qty);
    out.push_back(trade);
    remaining -= by_quote ? 0 : qty;
    quote_left -= by_quote ? trade.quote_quantity : 0;
    maker.remaining -= qty;
    if (maker.remaining == 0) {
      out.push_back(done_event(maker.order, Reason::kFilled, 0, 0));
      orders_.erase(orders_.begin() + i);
    }
  }
  out.push_back(done_event(order, Reason::kFilled, remaining, quote_left));
}

bool ReferenceBook::cancel(int64_t id, Events& out) {
  for (auto it = orders_.begin(); it != orders_.end(); ++it) {
    if (it->order.id != id) continue;
    out.push_back(done_event(it->order, Reason::kCanceled, it->remaining, 0));
    orders_.erase(it);
    return true;
  }
  return false;
}

std::optional<int64_t> ReferenceBook::best_bid() const {
  auto levels = depth(Side::kBuy, 1);
  if (levels.empty()) return std::nullopt;
  return levels[0].price;
}

std::optional<int64_t> ReferenceBook::best_ask() const {
  auto levels = depth(Side::kSell, 1);
  if (levels.empty()) return std::nullopt;
  return levels[0].price;
}

std::vector<Level> ReferenceBook::depth(Side side, size_t max_levels) const {
  std::map<int64_t, Level> by_price;
  for (const auto& o : orders_) {
    if (o.order.side != side) continue;
    Level& level = by_price[o.order.price];
    level.price = o.order.price;
    level.quantity += o.remaining;
    level.orders += 1;
  }
  std::vector<Level> out;
  for (const auto& [price, level] : by_price) out.push_back(level);
  if (side == Side::kBuy) std::reverse(out.begin(), out.end());  // best bid is the highest
  if (out.size() > max_levels) out.resize(max_levels);
  return out;
}

std::optional<OpenOrder> ReferenceBook::find(int64_t id) const {
  for (const auto& o : orders_) {
    if (o.order.id == id) return o;
  }
  return std::nullopt;
}

}  // namespace kg::matching
