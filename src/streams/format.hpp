#pragma once
// Binance's stream events as JSON text, field for field (user-data-stream.md, web-socket-streams.md).
// Every string in them is a symbol, an asset, a client order id or a listen key: characters that
// JSON never needs to escape, so the text is built directly.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/market.hpp"
#include "trading/events.hpp"
#include "trading/history.hpp"
#include "trading/market_data.hpp"

namespace kg::streams {

std::string trade_event(const Market& m, const trading::TradeTick& t, int64_t now_ms);
std::string agg_trade_event(const Market& m, const trading::AggTrade& a, int64_t now_ms);
// Levels with their new quantities (0: removed); bids best (highest) first.
std::string depth_event(const Market& m, int64_t first_id, int64_t last_id, const std::map<int64_t, int64_t>& bids,
                        const std::map<int64_t, int64_t>& asks, int64_t now_ms);
std::string book_ticker_event(const Market& m, int64_t update_id, const trading::BookTop& top);
std::string kline_event(const Market& m, const trading::Interval& iv, const trading::Kline& k, bool closed,
                        int64_t now_ms);
std::string ticker_event(const Market& m, const trading::Ticker& t, int64_t now_ms);
std::string mini_ticker_event(const Market& m, const trading::Ticker& t, int64_t now_ms);

std::string execution_report(const Market& m, const trading::OrderUpdate& u, int64_t event_ms);
struct AssetBalance {
  std::string asset;
  int64_t free = 0;
  int64_t locked = 0;
};
std::string account_position(const std::vector<AssetBalance>& balances, int64_t update_ms, int64_t now_ms);
std::string balance_update(const std::string& asset, int64_t delta, int64_t clear_ms, int64_t now_ms);
std::string listen_key_expired(const std::string& listen_key, int64_t now_ms);

}  // namespace kg::streams
