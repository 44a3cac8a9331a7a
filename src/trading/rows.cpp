#include "trading/rows.hpp"

#include <stdexcept>
#include <string_view>

namespace kg::trading {

namespace {

template <typename E, size_t N>
E parse(const std::string& text, const E (&all)[N], const char* what) {
  for (E e : all) {
    if (matching::to_string(e) == text) return e;
  }
  throw std::runtime_error(std::string("orders table: unknown ") + what + " '" + text + "'");
}

constexpr Side kSides[] = {Side::kBuy, Side::kSell};
constexpr OrderType kTypes[] = {OrderType::kLimit, OrderType::kLimitMaker, OrderType::kMarket};
constexpr TimeInForce kTifs[] = {TimeInForce::kGtc, TimeInForce::kIoc, TimeInForce::kFok};
constexpr SelfTradePrevention kStps[] = {
    SelfTradePrevention::kNone, SelfTradePrevention::kExpireTaker,
    SelfTradePrevention::kExpireMaker, SelfTradePrevention::kExpireBoth};
constexpr OrderStatus kStatuses[] = {OrderStatus::kNew,           OrderStatus::kPartiallyFilled,
                                     OrderStatus::kFilled,        OrderStatus::kCanceled,
                                     OrderStatus::kRejected,      OrderStatus::kExpired,
                                     OrderStatus::kExpiredInMatch};

std::string text(std::string_view v) {
  return std::string(v);
}

}  // namespace

Order order_from_row(const store::Row& r) {
  Order o;
  o.order_id = r.int64(0);
  o.user_id = r.int64(1);
  o.symbol = r.text(2);
  o.client_order_id = r.text(3);
  o.side = parse(r.text(4), kSides, "side");
  o.type = parse(r.text(5), kTypes, "type");
  o.tif = parse(r.text(6), kTifs, "time in force");
  o.stp = parse(r.text(7), kStps, "self-trade prevention mode");
  o.price = r.int64(8);
  o.orig_qty = r.int64(9);
  o.orig_quote_qty = r.int64(10);
  o.executed_qty = r.int64(11);
  o.cumm_quote_qty = r.int64(12);
  o.status = parse(r.text(13), kStatuses, "status");
  o.held = r.int64(14);
  o.created_ms = r.int64(15);
  o.updated_ms = r.int64(16);
  return o;
}

const char* const kOrdersTable = [] {
  static const std::string table = std::string("orders (") + kOrderColumns + ")";
  return table.c_str();
}();

std::vector<store::Value> order_values(const Order& o) {
  return {o.order_id, o.user_id, o.symbol, o.client_order_id, text(matching::to_string(o.side)),
          text(matching::to_string(o.type)), text(matching::to_string(o.tif)), text(matching::to_string(o.stp)),
          o.price, o.orig_qty, o.orig_quote_qty, o.executed_qty, o.cumm_quote_qty,
          text(matching::to_string(o.status)), o.held, o.created_ms, o.updated_ms};
}

void update_order(store::Db& db, const Order& o) {
  db.exec(
      "UPDATE orders SET executed_qty = ?, cumm_quote_qty = ?, status = ?, held = ?, updated_at = "
      "? "
      "WHERE order_id = ?",
      {o.executed_qty, o.cumm_quote_qty, text(matching::to_string(o.status)), o.held, o.updated_ms,
       o.order_id});
}

TradeRow trade_from_row(const store::Row& r) {
  TradeRow t;
  t.trade_id = r.int64(0);
  t.symbol = r.text(1);
  t.base_asset = r.text(2);
  t.quote_asset = r.text(3);
  t.price = r.int64(4);
  t.qty = r.int64(5);
  t.quote_qty = r.int64(6);
  t.buyer_id = r.int64(7);
  t.buyer_order_id = r.int64(8);
  t.buyer_fee = r.int64(9);
  t.seller_id = r.int64(10);
  t.seller_order_id = r.int64(11);
  t.seller_fee = r.int64(12);
  t.buyer_maker = r.boolean(13);
  t.entry_id = r.int64(14);
  t.created_ms = r.int64(15);
  return t;
}

const char* const kTradesTable = [] {
  static const std::string table = std::string("trades (") + kTradeColumns + ")";
  return table.c_str();
}();

std::vector<store::Value> trade_values(const TradeRow& t) {
  return {t.trade_id, t.symbol, t.base_asset, t.quote_asset, t.price, t.qty, t.quote_qty,
          t.buyer_id, t.buyer_order_id, t.buyer_fee, t.seller_id, t.seller_order_id, t.seller_fee,
          int64_t{t.buyer_maker ? 1 : 0}, t.entry_id, t.created_ms};
}

}  // namespace kg::trading
