#pragma once
// The public market history, read from the `trades` table: trades by id (historicalTrades),
// aggregate trades, and klines of every Binance interval. Each runs inside a store transaction the
// caller opens; none of it touches the engine.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/db.hpp"
#include "trading/market_data.hpp"

namespace kg::trading {

// A kline interval as Binance names it: "1s" .. "12h", "1d", "3d", "1w", "1M".
struct Interval {
  std::string_view name;
  int64_t ms = 0;       // the fixed length; 0 for "1M" (calendar months)
  int64_t align = 0;    // where buckets start, after the epoch: weeks open on Monday
};
std::optional<Interval> parse_interval(std::string_view name);
// Binance's timeZone: "0", "8", "-1:00", "05:45", within [-12:00, +14:00]. Milliseconds east of UTC.
std::optional<int64_t> parse_time_zone(std::string_view text);

// One kline: Binance's array [openTime, open, high, low, close, volume, closeTime, quoteVolume,
// trades, takerBuyBase, takerBuyQuote, "0"]. A bucket without trades is flat at the last price.
struct Kline {
  int64_t open_time = 0;
  int64_t close_time = 0;
  int64_t open = 0, high = 0, low = 0, close = 0;
  int64_t volume = 0, quote_volume = 0, count = 0;
  int64_t taker_buy_volume = 0, taker_buy_quote_volume = 0;
  int64_t first_id = -1, last_id = -1;  // its first and last trade; -1 without trades
  bool operator==(const Kline&) const = default;
};

// Where the kline of `interval` that holds time t opens (UTC), and where the next one opens.
int64_t kline_open(const Interval& interval, int64_t t);
int64_t kline_next(const Interval& interval, int64_t open);

struct KlineQuery {
  std::string symbol;
  Interval interval;
  std::optional<int64_t> start_ms;  // klines that open at or after it, oldest first
  std::optional<int64_t> end_ms;    // klines that open at or before it
  size_t limit = 500;
  int64_t tz_offset_ms = 0;
  int64_t now_ms = 0;  // nothing opens after now; without start, the newest `limit` up to end/now
};
// Klines from the symbol's first trade on (none before it: a market that never traded has none).
std::vector<Kline> klines(store::Db& db, const KlineQuery& q);

// Binance's aggregate trade: consecutive fills of one taker order at one price. Its id is the id
// of its first trade, so ids ascend, and `fromId` = a + 1 starts at the next aggregate.
struct AggTrade {
  int64_t id = 0;
  int64_t price = 0;
  int64_t qty = 0;
  int64_t first_id = 0;
  int64_t last_id = 0;
  int64_t time_ms = 0;
  bool buyer_maker = false;
  bool operator==(const AggTrade&) const = default;
};

struct AggQuery {
  std::string symbol;
  std::optional<int64_t> from_id;   // the aggregates from the first one starting at or after it
  std::optional<int64_t> start_ms;  // with end_ms: those in [start, end], oldest first
  std::optional<int64_t> end_ms;    // alone: the newest `limit` at or before it
  size_t limit = 500;
};
std::vector<AggTrade> agg_trades(store::Db& db, const AggQuery& q);

// Trades of the symbol with ids from `from_id` up, oldest first; without it, the newest `limit`.
std::vector<TradeTick> trades_from(store::Db& db, const std::string& symbol,
                                   std::optional<int64_t> from_id, size_t limit);

// The price of the symbol's last trade before `time_ms`, 0 when there is none.
int64_t price_before(store::Db& db, const std::string& symbol, int64_t time_ms);

// Per-bucket totals of the symbol's trades with from_ms <= time < to_ms, buckets of `bucket_ms`
// starting at offset_ms + k * bucket_ms. Ascending; only buckets with trades. For klines and for
// MarketData's one-minute bars.
struct BucketTotals {
  int64_t start_ms = 0;
  int64_t open = 0, high = 0, low = 0, close = 0;
  int64_t volume = 0, quote_volume = 0, count = 0;
  int64_t taker_buy_volume = 0, taker_buy_quote_volume = 0;
  int64_t first_id = 0, last_id = 0;
};
std::vector<BucketTotals> bucket_totals(store::Db& db, const std::string& symbol, int64_t from_ms,
                                        int64_t to_ms, int64_t bucket_ms, int64_t offset_ms);

}  // namespace kg::trading
