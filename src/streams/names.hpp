#pragma once
// Binance's market stream names: "<symbol>@trade", "@aggTrade", "@depth" and "@depth@100ms"
// (also "@depth@1000ms"), "@bookTicker", "@kline_<interval>", "@ticker", "@miniTicker". The
// symbol is lower case, as Binance requires.

#include <optional>
#include <string>
#include <string_view>

#include "common/market.hpp"
#include "trading/history.hpp"

namespace kg::streams {

enum class Kind { kTrade, kAggTrade, kDepth, kBookTicker, kKline, kTicker, kMiniTicker };

struct StreamName {
  const Market* market = nullptr;
  Kind kind = Kind::kTrade;
  int depth_ms = 1000;        // kDepth: how often diffs are sent
  trading::Interval interval;  // kKline
};

// nullopt: not a stream of a configured market.
std::optional<StreamName> parse_stream(std::string_view name, const ExchangeSpec& exchange);

// "btcusdt" for "BTCUSDT".
std::string lower(std::string_view symbol);

}  // namespace kg::streams
