#pragma once
// What an exchange offers: assets, markets with their filters, and the published rate limits.
// Amounts are integers at kAmountScale decimals, as Binance's 8.

#include <cstdint>
#include <string>
#include <vector>

namespace kg {

inline constexpr int kAmountScale = 8;

struct Asset {
  std::string name;       // "BTC"
  std::string full_name;  // "Bitcoin"
};

struct Market {
  std::string symbol;  // "BTCUSDT"
  std::string base;
  std::string quote;
  int base_precision = kAmountScale;
  int quote_precision = kAmountScale;
  // Filters, in units of 10^-kAmountScale.
  int64_t min_price = 0, max_price = 0, tick_size = 0;
  int64_t min_qty = 0, max_qty = 0, step_size = 0;
  int64_t market_min_qty = 0, market_max_qty = 0;
  int64_t min_notional = 0, max_notional = 0;
};

struct RateLimit {
  std::string type;      // REQUEST_WEIGHT, ORDERS, RAW_REQUESTS
  std::string interval;  // SECOND, MINUTE, DAY
  int interval_num = 1;
  int64_t limit = 0;
};

struct ExchangeSpec {
  std::vector<Asset> assets;
  std::vector<Market> markets;
  std::vector<RateLimit> rate_limits;

  const Market* find_market(const std::string& symbol) const {
    for (const auto& m : markets) {
      if (m.symbol == symbol) return &m;
    }
    return nullptr;
  }
};

}  // namespace kg
