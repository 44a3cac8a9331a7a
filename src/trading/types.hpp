#pragma once
// What trading hands out: orders and trades as Binance shows them, and the requests that make
// them. Amounts are int64 units of 10^-8 (kAmountScale), like every amount in keygate.

#include <cstdint>
#include <string>
#include <vector>

#include "matching/types.hpp"

namespace kg::trading {

using matching::OrderStatus;
using matching::OrderType;
using matching::SelfTradePrevention;
using matching::Side;
using matching::TimeInForce;

struct TradingConfig {
  // Binance's makerCommission / takerCommission (GET /api/v3/account shows 10): basis points of
  // what each side receives, rounded up (in the exchange's favour) to the next unit.
  int64_t maker_fee_bps = 10;
  int64_t taker_fee_bps = 10;
  // Binance's MAX_NUM_ORDERS: open orders per account and symbol.
  size_t max_open_orders = 200;
};

struct OrderRequest {
  int64_t user_id = 0;
  std::string symbol;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce tif = TimeInForce::kGtc;                          // LIMIT only
  SelfTradePrevention stp = SelfTradePrevention::kExpireMaker;  // exchangeInfo's default
  int64_t price = 0;                                            // LIMIT, LIMIT_MAKER
  int64_t quantity = 0;                                         // base; 0 for MARKET by quote
  int64_t quote_quantity = 0;   // MARKET only: Binance's quoteOrderQty
  std::string client_order_id;  // never empty here: the API makes one when the client sends none
};

struct Order {
  int64_t order_id = 0;
  int64_t user_id = 0;
  std::string symbol;
  std::string client_order_id;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce tif = TimeInForce::kGtc;
  SelfTradePrevention stp = SelfTradePrevention::kNone;
  int64_t price = 0;
  int64_t orig_qty = 0;        // 0 for MARKET by quote
  int64_t orig_quote_qty = 0;  // MARKET by quote only
  int64_t executed_qty = 0;
  int64_t cumm_quote_qty = 0;  // Binance's cummulativeQuoteQty
  OrderStatus status = OrderStatus::kNew;
  // What is still locked for this order: quote for a BUY, base for a SELL. Zero once it is done.
  int64_t held = 0;
  int64_t created_ms = 0;  // Binance's time, transactTime and workingTime
  int64_t updated_ms = 0;  // Binance's updateTime

  bool open() const {
    return status == OrderStatus::kNew || status == OrderStatus::kPartiallyFilled;
  }
  int64_t remaining() const { return orig_qty - executed_qty; }
};

// One fill of a new order, as the FULL response lists it.
struct Fill {
  int64_t trade_id = 0;
  int64_t price = 0;
  int64_t qty = 0;
  int64_t quote_qty = 0;
  int64_t commission = 0;
  std::string commission_asset;
};

struct Placed {
  Order order;
  std::vector<Fill> fills;
};

// One side of a trade, as GET /api/v3/myTrades shows it.
struct Trade {
  int64_t trade_id = 0;
  std::string symbol;
  int64_t order_id = 0;
  int64_t price = 0;
  int64_t qty = 0;
  int64_t quote_qty = 0;
  int64_t commission = 0;
  std::string commission_asset;
  int64_t time_ms = 0;
  bool is_buyer = false;
  bool is_maker = false;
};

struct OrderQuery {
  std::string symbol;
  int64_t from_order_id = 0;  // > 0: orders with ids from this one up, oldest first
  int64_t start_ms = 0;       // > 0: created at or after, oldest first
  int64_t end_ms = 0;         // > 0: created at or before
  size_t limit = 500;         // without from_order_id or start_ms: the newest `limit`
};

struct TradeQuery {
  std::string symbol;
  int64_t order_id = 0;  // > 0: this order's trades only
  int64_t from_id = 0;   // > 0: trades with ids from this one up, oldest first
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  size_t limit = 500;
};

struct Depth {
  int64_t last_update_id = 0;
  std::vector<matching::Level> bids;  // best first
  std::vector<matching::Level> asks;
};

}  // namespace kg::trading
