#pragma once
// Orders and trades as rows of the `orders` and `trades` tables (migration 6). Enums are stored
// as Binance spells them ("BUY", "LIMIT_MAKER", "PARTIALLY_FILLED"), so the tables read like the
// API.

#include <string>
#include <vector>

#include "store/db.hpp"
#include "trading/types.hpp"

namespace kg::trading {

inline constexpr const char* kOrderColumns =
    "order_id, user_id, symbol, client_order_id, side, type, time_in_force, stp, price, orig_qty, "
    "orig_quote_qty, executed_qty, cumm_quote_qty, status, held, created_at, updated_at";

Order order_from_row(const store::Row& row);
// "orders (<kOrderColumns>)" and an order's values in that order, for engine::Batch::insert.
extern const char* const kOrdersTable;
std::vector<store::Value> order_values(const Order& order);
// The fields that change after placement: executed, quote, status, held, update time.
void update_order(store::Db& db, const Order& order);

// A trade as stored: both sides in one row.
struct TradeRow {
  int64_t trade_id = 0;
  std::string symbol;
  std::string base_asset;
  std::string quote_asset;
  int64_t price = 0;
  int64_t qty = 0;
  int64_t quote_qty = 0;
  int64_t buyer_id = 0, buyer_order_id = 0, buyer_fee = 0;
  int64_t seller_id = 0, seller_order_id = 0, seller_fee = 0;
  bool buyer_maker = false;
  int64_t entry_id = 0;
  int64_t created_ms = 0;
};

inline constexpr const char* kTradeColumns =
    "trade_id, symbol, base_asset, quote_asset, price, qty, quote_qty, buyer_id, buyer_order_id, "
    "buyer_fee, seller_id, seller_order_id, seller_fee, buyer_maker, entry_id, created_at";

TradeRow trade_from_row(const store::Row& row);
extern const char* const kTradesTable;
std::vector<store::Value> trade_values(const TradeRow& trade);

}  // namespace kg::trading
