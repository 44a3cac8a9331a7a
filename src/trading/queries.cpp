// Reads of orders and trades: committed state, straight from the store (every row there was
// acknowledged, and a row changes in the same commit as the balances it describes).

#include <algorithm>
#include <limits>

#include "trading/rows.hpp"
#include "trading/trading.hpp"

namespace kg::trading {

namespace {
constexpr int64_t kNoEnd = std::numeric_limits<int64_t>::max();
int64_t end_of(int64_t end_ms) {
  return end_ms > 0 ? end_ms : kNoEnd;
}
}  // namespace

Result<Order> Trading::order(int64_t user_id, const std::string& symbol, int64_t order_id,
                             const std::string& client_order_id) {
  if (!exchange_.find_market(symbol)) return make_error(err::kBadSymbol);
  auto row = store_.tx([&](store::Db& db) {
    if (order_id > 0) {
      return db.query_one(std::string("SELECT ") + kOrderColumns +
                              " FROM orders WHERE order_id = ? AND user_id = ? AND symbol = ?",
                          {order_id, user_id, symbol});
    }
    // A clientOrderId may be reused once its order is done: the newest one answers.
    return db.query_one(std::string("SELECT ") + kOrderColumns +
                            " FROM orders WHERE user_id = ? AND symbol = ? AND client_order_id = ? "
                            "ORDER BY order_id DESC LIMIT 1",
                        {user_id, symbol, client_order_id});
  });
  if (!row) return make_error(err::kNoSuchOrder);
  Order o = order_from_row(*row);
  if (order_id > 0 && !client_order_id.empty() && o.client_order_id != client_order_id) {
    return make_error(err::kNoSuchOrder);
  }
  return o;
}

std::vector<Order> Trading::open_orders(int64_t user_id, const std::string& symbol) {
  return store_.tx([&](store::Db& db) {
    std::vector<Order> out;
    for (const auto& r : db.query(std::string("SELECT ") + kOrderColumns +
                                      " FROM orders WHERE user_id = ? AND (? = '' OR symbol = ?) "
                                      "AND status IN ('NEW', 'PARTIALLY_FILLED') ORDER BY order_id",
                                  {user_id, symbol, symbol})) {
      out.push_back(order_from_row(r));
    }
    return out;
  });
}

std::vector<Order> Trading::all_orders(int64_t user_id, const OrderQuery& q) {
  // From a lower bound (an id or a start time): the oldest first. Otherwise the newest `limit`.
  const bool ascending = q.from_order_id > 0 || q.start_ms > 0;
  return store_.tx([&](store::Db& db) {
    std::vector<Order> out;
    for (const auto& r :
         db.query(std::string("SELECT ") + kOrderColumns +
                      " FROM orders WHERE user_id = ? AND symbol = ? AND order_id >= ? "
                      "AND created_at >= ? AND created_at <= ? ORDER BY order_id " +
                      (ascending ? "ASC" : "DESC") + " LIMIT ?",
                  {user_id, q.symbol, q.from_order_id, q.start_ms, end_of(q.end_ms),
                   static_cast<int64_t>(q.limit)})) {
      out.push_back(order_from_row(r));
    }
    if (!ascending) std::reverse(out.begin(), out.end());
    return out;
  });
}

std::vector<Trade> Trading::my_trades(int64_t user_id, const TradeQuery& q) {
  const bool ascending = q.from_id > 0 || q.start_ms > 0;
  std::vector<TradeRow> rows = store_.tx([&](store::Db& db) {
    std::vector<TradeRow> out;
    for (const auto& r :
         db.query(std::string("SELECT ") + kTradeColumns +
                      " FROM trades WHERE symbol = ? AND (buyer_id = ? OR seller_id = ?) "
                      "AND (? = 0 OR buyer_order_id = ? OR seller_order_id = ?) AND trade_id >= ? "
                      "AND created_at >= ? AND created_at <= ? ORDER BY trade_id " +
                      (ascending ? "ASC" : "DESC") + " LIMIT ?",
                  {q.symbol, user_id, user_id, q.order_id, q.order_id, q.order_id, q.from_id,
                   q.start_ms, end_of(q.end_ms), static_cast<int64_t>(q.limit)})) {
      out.push_back(trade_from_row(r));
    }
    if (!ascending) std::reverse(out.begin(), out.end());
    return out;
  });
  // The user's side of each (both sides, buyer first, when they traded with themselves).
  std::vector<Trade> out;
  for (const TradeRow& t : rows) {
    auto side = [&](bool buyer) {
      Trade x;
      x.trade_id = t.trade_id;
      x.symbol = t.symbol;
      x.order_id = buyer ? t.buyer_order_id : t.seller_order_id;
      x.price = t.price;
      x.qty = t.qty;
      x.quote_qty = t.quote_qty;
      x.commission = buyer ? t.buyer_fee : t.seller_fee;
      x.commission_asset = buyer ? t.base_asset : t.quote_asset;
      x.time_ms = t.created_ms;
      x.is_buyer = buyer;
      x.is_maker = buyer == t.buyer_maker;
      return x;
    };
    if (t.buyer_id == user_id && (q.order_id <= 0 || t.buyer_order_id == q.order_id))
      out.push_back(side(true));
    if (t.seller_id == user_id && (q.order_id <= 0 || t.seller_order_id == q.order_id))
      out.push_back(side(false));
  }
  if (out.size() > q.limit) out.resize(q.limit);
  return out;
}

}  // namespace kg::trading

namespace kg::trading {

std::vector<Kline> Trading::klines(const KlineQuery& query) {
  return store_.tx([&](store::Db& db) { return trading::klines(db, query); });
}

std::vector<AggTrade> Trading::agg_trades(const AggQuery& query) {
  return store_.tx([&](store::Db& db) { return trading::agg_trades(db, query); });
}

std::vector<TradeTick> Trading::historical_trades(const std::string& symbol,
                                                  std::optional<int64_t> from_id, size_t limit) {
  return store_.tx([&](store::Db& db) { return trades_from(db, symbol, from_id, limit); });
}

}  // namespace kg::trading
