#include "trading/market_data.hpp"

#include <algorithm>
#include <limits>

#include "trading/history.hpp"

namespace kg::trading {

namespace {

__extension__ using Int128 = __int128;
constexpr int64_t kOne = 100'000'000;  // 10^kAmountScale

int64_t minute_of(int64_t t) {
  return t - ((t % MarketData::kMinuteMs) + MarketData::kMinuteMs) % MarketData::kMinuteMs;
}
// The rolling day: the 1,440 minutes up to and including now's.
int64_t window_start(int64_t now_ms) {
  return minute_of(now_ms) - MarketData::kDayMs + MarketData::kMinuteMs;
}

}  // namespace

int64_t Ticker::weighted_avg_price() const {
  if (volume <= 0) return 0;
  return static_cast<int64_t>(Int128{quote_volume} * kOne / volume);
}

int64_t Ticker::change_permille_percent() const {
  if (open_price <= 0) return 0;
  const Int128 scaled = Int128{price_change()} * 100'000;  // percent with three decimals
  const Int128 half = open_price / 2;
  return static_cast<int64_t>((scaled + (scaled < 0 ? -half : half)) / open_price);
}

MarketData::MarketData(const ExchangeSpec& exchange) {
  for (const auto& m : exchange.markets) series_[m.symbol];
}

void MarketData::load(store::Db& db, int64_t now_ms) {
  std::lock_guard lock(mu_);
  const int64_t from = window_start(now_ms);
  for (auto& [symbol, s] : series_) {
    s = Series{};
    for (const auto& b :
         bucket_totals(db, symbol, from, std::numeric_limits<int64_t>::max(), kMinuteMs, 0)) {
      s.minutes.push_back(Minute{b.start_ms, b.open, b.high, b.low, b.close, b.volume,
                                 b.quote_volume, b.count, b.first_id, b.last_id});
    }
    s.prev_close = price_before(db, symbol, from);
    const auto recent = trades_from(db, symbol, std::nullopt, kRecentTrades);
    s.recent.assign(recent.begin(), recent.end());
    if (!recent.empty()) s.last = recent.back();
  }
}

void MarketData::add(Series& s, const TradeTick& t) {
  const int64_t start = minute_of(t.time_ms);
  // A clock that stepped back keeps adding to the newest minute: bars never go out of order.
  if (s.minutes.empty() || s.minutes.back().start_ms < start) {
    s.minutes.push_back(
        Minute{start, t.price, t.price, t.price, t.price, t.qty, t.quote_qty, 1, t.id, t.id});
  } else {
    Minute& m = s.minutes.back();
    m.high = std::max(m.high, t.price);
    m.low = std::min(m.low, t.price);
    m.close = t.price;
    m.volume += t.qty;
    m.quote_volume += t.quote_qty;
    m.count += 1;
    m.last_id = t.id;
  }
  s.recent.push_back(t);
  if (s.recent.size() > kRecentTrades) s.recent.pop_front();
  s.last = t;
}

void MarketData::evict(Series& s, int64_t now_ms) {
  const int64_t from = window_start(now_ms);
  while (!s.minutes.empty() && s.minutes.front().start_ms < from) {
    s.prev_close = s.minutes.front().close;
    s.minutes.pop_front();
  }
}

void MarketData::record(const std::string& symbol, const std::vector<TradeTick>& trades,
                        const BookTop& top) {
  std::lock_guard lock(mu_);
  auto it = series_.find(symbol);
  if (it == series_.end()) return;
  Series& s = it->second;
  for (const auto& t : trades) add(s, t);
  s.top = top;
  if (!trades.empty()) evict(s, trades.back().time_ms);
}

std::optional<Ticker> MarketData::ticker(const std::string& symbol, int64_t now_ms) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(symbol);
  if (it == series_.end()) return std::nullopt;
  const Series& s = it->second;
  Ticker t;
  t.top = s.top;
  t.open_time = window_start(now_ms);
  t.close_time = now_ms;
  t.prev_close_price = s.prev_close;
  if (s.last) {
    t.last_price = s.last->price;
    t.last_qty = s.last->qty;
  }
  for (const Minute& m : s.minutes) {
    if (m.start_ms < t.open_time) {
      t.prev_close_price = m.close;  // left the window since the last trade evicted
      continue;
    }
    if (t.count == 0) {
      t.open_price = m.open;
      t.high_price = m.high;
      t.low_price = m.low;
      t.first_id = m.first_id;
    }
    t.high_price = std::max(t.high_price, m.high);
    t.low_price = std::min(t.low_price, m.low);
    t.volume += m.volume;
    t.quote_volume += m.quote_volume;
    t.count += m.count;
    t.last_id = m.last_id;
  }
  if (t.count == 0) t.open_price = t.high_price = t.low_price = t.last_price;
  return t;
}

std::vector<TradeTick> MarketData::recent_trades(const std::string& symbol, size_t limit) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(symbol);
  if (it == series_.end()) return {};
  const auto& recent = it->second.recent;
  const size_t n = std::min(limit, recent.size());
  return std::vector<TradeTick>(recent.end() - static_cast<std::ptrdiff_t>(n), recent.end());
}

std::optional<MarketData::AvgPrice> MarketData::avg_price(const std::string& symbol,
                                                          int64_t now_ms) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(symbol);
  if (it == series_.end() || !it->second.last) return std::nullopt;
  const Series& s = it->second;
  const int64_t from = minute_of(now_ms) - (kAvgPriceMinutes - 1) * kMinuteMs;
  Int128 volume = 0, quote = 0;
  for (auto m = s.minutes.rbegin(); m != s.minutes.rend() && m->start_ms >= from; ++m) {
    volume += m->volume;
    quote += m->quote_volume;
  }
  AvgPrice out{s.last->price, s.last->time_ms};
  if (volume > 0) out.price = static_cast<int64_t>(quote * kOne / volume);
  return out;
}

std::optional<TradeTick> MarketData::last_trade(const std::string& symbol) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(symbol);
  if (it == series_.end()) return std::nullopt;
  return it->second.last;
}

std::optional<BookTop> MarketData::top(const std::string& symbol) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(symbol);
  if (it == series_.end()) return std::nullopt;
  return it->second.top;
}

}  // namespace kg::trading
