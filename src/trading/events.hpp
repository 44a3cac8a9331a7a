#pragma once
// What one trading command tells the outside once it is durable: every change of every order it
// touched (Binance's executionReport), its trades, the book levels it changed with the book's
// update ids (depth diffs), and the new top of the book. Handed to a MarketListener on the engine
// thread after the commit, command by command, in order.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/market.hpp"
#include "trading/market_data.hpp"
#include "trading/types.hpp"

namespace kg::trading {

// Binance's executionReport execution types.
enum class ExecType : uint8_t { kNew, kTrade, kCanceled, kExpired, kTradePrevention };
std::string_view to_string(ExecType type);

// One change of one order: its state right after it, and for a fill, the fill.
struct OrderUpdate {
  Order order;
  ExecType exec = ExecType::kNew;
  int64_t last_qty = 0;    // kTrade: base filled now
  int64_t last_price = 0;  // kTrade
  int64_t last_quote = 0;  // kTrade
  int64_t commission = 0;  // kTrade: what this side paid, in commission_asset
  std::string commission_asset;
  int64_t trade_id = -1;
  bool maker = false;      // kTrade: this side was the maker

  static OrderUpdate of(const Order& order, ExecType exec) {
    OrderUpdate u;
    u.order = order;
    u.exec = exec;
    return u;
  }
};

struct MarketEvents {
  const Market* market = nullptr;
  int64_t time_ms = 0;
  std::vector<TradeTick> trades;     // ids ascending
  std::vector<OrderUpdate> updates;  // in the order they happened
  // The levels the command changed, with their quantities after it (0: the level is gone). When
  // any changed, the book's update id went from first_update_id - 1 to update_id (one step per
  // command), so diffs chain: each one's first id is the previous one's last + 1. When none did,
  // first_update_id is update_id + 1.
  std::vector<matching::Level> bids, asks;
  int64_t first_update_id = 0;
  int64_t update_id = 0;
  BookTop top;
};

class MarketListener {
 public:
  virtual ~MarketListener() = default;
  // Engine thread, after the commit, in command order. Must not block.
  virtual void on_market(MarketEvents&& events) = 0;
};

}  // namespace kg::trading
