#pragma once
// What the public sees of each market without touching the store: the last trades, the top of
// the book, and the rolling 24-hour statistics kept in one-minute bars (Binance's own rolling
// tickers are precise to the minute too). Trading feeds it on the engine thread once a batch is
// durable, so nothing here was ever not committed; readers on network threads take a copy under
// a mutex.

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/market.hpp"
#include "store/db.hpp"

namespace kg::trading {

// One trade as the public sees it (no users, no orders).
struct TradeTick {
  int64_t id = 0;
  int64_t price = 0;
  int64_t qty = 0;
  int64_t quote_qty = 0;
  int64_t time_ms = 0;
  bool buyer_maker = false;
  bool operator==(const TradeTick&) const = default;
};

// The best level on each side; zeros for an empty side.
struct BookTop {
  int64_t bid_price = 0;
  int64_t bid_qty = 0;
  int64_t ask_price = 0;
  int64_t ask_qty = 0;
  bool operator==(const BookTop&) const = default;
};

// Binance's 24-hour ticker. Prices of a window without trades are the last price; ids are -1.
struct Ticker {
  int64_t open_price = 0;
  int64_t high_price = 0;
  int64_t low_price = 0;
  int64_t last_price = 0;
  int64_t last_qty = 0;
  int64_t prev_close_price = 0;  // the last price before the window
  int64_t volume = 0;            // base
  int64_t quote_volume = 0;
  int64_t open_time = 0;
  int64_t close_time = 0;
  int64_t first_id = -1;
  int64_t last_id = -1;
  int64_t count = 0;
  BookTop top;

  int64_t price_change() const { return last_price - open_price; }
  // quote volume / volume, 0 without volume.
  int64_t weighted_avg_price() const;
  // The change in thousandths of a percent (Binance prints three decimals), 0 from a zero open.
  int64_t change_permille_percent() const;
};

class MarketData {
 public:
  static constexpr size_t kRecentTrades = 1000;  // GET /api/v3/trades answers at most this many
  static constexpr int64_t kMinuteMs = 60'000;
  static constexpr int64_t kDayMs = 86'400'000;
  static constexpr int64_t kAvgPriceMinutes = 5;  // Binance's avgPrice (and NOTIONAL's avgPriceMins)

  explicit MarketData(const ExchangeSpec& exchange);

  // Rebuilds the last day's bars, the last trades and the last price of every market from the
  // `trades` table. Call once, before the engine starts.
  void load(store::Db& db, int64_t now_ms);

  // Engine thread, after the commit: the trades of one command (ids ascending) and the book's
  // top once it ran.
  void record(const std::string& symbol, const std::vector<TradeTick>& trades, const BookTop& top);

  // Readers (any thread). nullopt: not a configured market.
  std::optional<Ticker> ticker(const std::string& symbol, int64_t now_ms) const;
  // The newest `limit` trades, oldest first.
  std::vector<TradeTick> recent_trades(const std::string& symbol, size_t limit) const;
  // The volume-weighted price of the last five minutes (the last price when nothing traded then)
  // and the time of the last trade; nullopt for a market that never traded.
  struct AvgPrice {
    int64_t price = 0;
    int64_t close_time = 0;
  };
  std::optional<AvgPrice> avg_price(const std::string& symbol, int64_t now_ms) const;
  std::optional<TradeTick> last_trade(const std::string& symbol) const;
  std::optional<BookTop> top(const std::string& symbol) const;

 private:
  struct Minute {
    int64_t start_ms = 0;
    int64_t open = 0, high = 0, low = 0, close = 0;
    int64_t volume = 0, quote_volume = 0, count = 0;
    int64_t first_id = 0, last_id = 0;
  };
  struct Series {
    std::deque<Minute> minutes;   // ascending, each with at least one trade
    int64_t prev_close = 0;       // the close of the newest minute that left the window
    std::deque<TradeTick> recent;  // the last kRecentTrades trades
    std::optional<TradeTick> last;
    BookTop top;
  };
  static void add(Series& s, const TradeTick& t);
  static void evict(Series& s, int64_t now_ms);

  mutable std::mutex mu_;
  std::map<std::string, Series, std::less<>> series_;
};

}  // namespace kg::trading
