#pragma once
// Event constructors shared by OrderBook and ReferenceBook, so the two differ only in how they
// decide what happens, never in how they spell it.

#include "matching/types.hpp"

namespace kg::matching {

inline Event accepted_event(const Order& o) {
  Event e;
  e.type = EventType::kAccepted;
  e.side = o.side;
  e.order_id = o.id;
  e.owner = o.owner;
  e.price = o.price;
  e.quantity = o.quantity;
  e.quote_quantity = o.quote_quantity;
  return e;
}

inline Event trade_event(const Order& taker, const Order& maker, int64_t price, int64_t quantity) {
  Event e;
  e.type = EventType::kTrade;
  e.side = taker.side;
  e.order_id = taker.id;
  e.owner = taker.owner;
  e.maker_id = maker.id;
  e.maker_owner = maker.owner;
  e.price = price;
  e.quantity = quantity;
  e.quote_quantity = quote_of(price, quantity);
  return e;
}

inline Event rested_event(const Order& o, int64_t remaining) {
  Event e;
  e.type = EventType::kRested;
  e.status = remaining == o.quantity ? OrderStatus::kNew : OrderStatus::kPartiallyFilled;
  e.side = o.side;
  e.order_id = o.id;
  e.owner = o.owner;
  e.price = o.price;
  e.quantity = remaining;
  return e;
}

inline OrderStatus status_for(Reason reason) {
  switch (reason) {
    case Reason::kFilled:
      return OrderStatus::kFilled;
    case Reason::kCanceled:
      return OrderStatus::kCanceled;
    case Reason::kWouldTake:
      return OrderStatus::kRejected;
    case Reason::kSelfTrade:
      return OrderStatus::kExpiredInMatch;
    case Reason::kIocRemainder:
    case Reason::kFokUnfillable:
    case Reason::kNoLiquidity:
    case Reason::kNone:
      break;
  }
  return OrderStatus::kExpired;
}

// remaining: base left unfilled; quote_left: quote left unspent (MARKET by quote).
inline Event done_event(const Order& o, Reason reason, int64_t remaining, int64_t quote_left) {
  Event e;
  e.type = EventType::kDone;
  e.status = status_for(reason);
  e.reason = reason;
  e.side = o.side;
  e.order_id = o.id;
  e.owner = o.owner;
  e.price = o.price;
  e.quantity = remaining;
  e.quote_quantity = quote_left;
  return e;
}

}  // namespace kg::matching
