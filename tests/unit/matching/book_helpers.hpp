#pragma once
// Builders and a compact text form of events for the matching tests. Amounts are written in whole
// units ("100" is 100 * 10^8 units), so expectations read like the trades they describe.

#include <cstdint>
#include <ostream>
#include <string>

#include "matching/types.hpp"

namespace kg::matching::test {

constexpr int64_t units(double whole) {
  return static_cast<int64_t>(whole * kOne + (whole < 0 ? -0.5 : 0.5));
}

// "1.5", "100", "0.00000001"
inline std::string amount(int64_t v) {
  std::string sign = v < 0 ? "-" : "";
  const uint64_t a = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string s = sign + std::to_string(a / kOne);
  std::string frac = std::to_string(a % kOne);
  frac = std::string(8 - frac.size(), '0') + frac;
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return frac.empty() ? s : s + "." + frac;
}

inline Order limit(int64_t id, Side side, double price, double qty,
                   TimeInForce tif = TimeInForce::kGtc) {
  Order o;
  o.id = id;
  o.owner = 1000 + id;  // nobody trades with themselves unless a test says so
  o.side = side;
  o.type = OrderType::kLimit;
  o.tif = tif;
  o.price = units(price);
  o.quantity = units(qty);
  return o;
}
inline Order buy(int64_t id, double price, double qty, TimeInForce tif = TimeInForce::kGtc) {
  return limit(id, Side::kBuy, price, qty, tif);
}
inline Order sell(int64_t id, double price, double qty, TimeInForce tif = TimeInForce::kGtc) {
  return limit(id, Side::kSell, price, qty, tif);
}
inline Order maker_only(Order o) {
  o.type = OrderType::kLimitMaker;
  return o;
}
inline Order market(int64_t id, Side side, double qty) {
  Order o = limit(id, side, 0, qty);
  o.type = OrderType::kMarket;
  return o;
}
inline Order market_quote(int64_t id, Side side, double quote) {
  Order o = market(id, side, 0);
  o.quote_quantity = units(quote);
  return o;
}
inline Order owned(Order o, int64_t owner, SelfTradePrevention stp = SelfTradePrevention::kNone) {
  o.owner = owner;
  o.stp = stp;
  return o;
}

// "A3" accepted; "T3x1 2@100" taker 3 took 2 from maker 1 at 100; "R3 NEW 5" rested 5;
// "D3 FILLED" / "D3 EXPIRED 2" done with what was left (base, or "q=" the unspent quote).
inline std::string text(const Event& e) {
  const std::string id = std::to_string(e.order_id);
  switch (e.type) {
    case EventType::kAccepted:
      return "A" + id;
    case EventType::kTrade:
      return "T" + id + "x" + std::to_string(e.maker_id) + " " + amount(e.quantity) + "@" +
             amount(e.price);
    case EventType::kRested:
      return "R" + id + " " + std::string(to_string(e.status)) + " " + amount(e.quantity);
    case EventType::kDone: {
      std::string s = "D" + id + " " + std::string(to_string(e.status));
      if (e.quantity != 0) s += " " + amount(e.quantity);
      if (e.quote_quantity != 0) s += " q=" + amount(e.quote_quantity);
      return s;
    }
  }
  return "?";
}

inline std::string text(const Events& events) {
  std::string s;
  for (const auto& e : events) s += (s.empty() ? "" : ", ") + text(e);
  return s;
}

inline std::string text(const std::vector<Level>& levels) {
  std::string s;
  for (const auto& l : levels) {
    s += (s.empty() ? "" : ", ") + amount(l.quantity) + "@" + amount(l.price) + "/" +
         std::to_string(l.orders);
  }
  return s;
}

}  // namespace kg::matching::test

namespace kg::matching {
// So gtest prints an open order, not its bytes.
inline void PrintTo(const OpenOrder& o, std::ostream* os) {
  *os << "order " << o.order.id << " owner " << o.order.owner << " " << to_string(o.order.side)
      << " " << to_string(o.order.type) << " " << test::amount(o.order.quantity) << "@"
      << test::amount(o.order.price) << " remaining " << test::amount(o.remaining);
}
}  // namespace kg::matching
