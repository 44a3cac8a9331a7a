// Public market data from real trades (SQLite, and PostgreSQL when KEYGATE_TEST_PG_URL is set):
// recent trades, the top of the book and the rolling 24 h ticker as committed, rebuilt the same
// after a restart; klines of several intervals (gaps flat at the last price, start/end/limit,
// calendar months, Monday weeks, time zones), aggregate trades and trades by id.

#include <gtest/gtest.h>

#include "trading/trading_fixture.hpp"

namespace kg::trading {
namespace {

using test::Backends;
using test::u;

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z, a Tuesday
constexpr int64_t kM0 = 1'699'999'980'000;  // its minute
constexpr int64_t kMin = 60'000;

template <typename Backend>
class MarketDataTest : public test::TradingFixture<Backend> {
 protected:
  // Four trades: at kT0 bob's buy sweeps alice's two asks at 60000 (one aggregate) and carol's at
  // 60100; two minutes later carol's market sell hits alice's bid at 59000. Then a bid and an ask
  // rest: 0.2 at 58000 (bob) and 0.5 at 61000 (alice).
  void trade() {
    this->fund(this->alice_, "BTC", u("1"));
    this->fund(this->alice_, "USDT", u("10000"));
    this->fund(this->bob_, "USDT", u("100000"));
    this->fund(this->carol_, "BTC", u("1"));
    this->place_ok(this->sell(this->alice_, "60000", "0.01"));
    this->place_ok(this->sell(this->alice_, "60000", "0.02"));
    this->place_ok(this->sell(this->carol_, "60100", "0.03"));
    auto sweep = this->place_ok(this->buy(this->bob_, "60100", "0.06"));
    ASSERT_EQ(sweep.fills.size(), 3u);
    t1_ = sweep.fills[0].trade_id;
    this->clock_.advance_ms(2 * kMin);
    this->place_ok(this->buy(this->alice_, "59000", "0.01"));
    auto hit = this->place_ok(this->market(this->carol_, Side::kSell, "0.01", nullptr));
    ASSERT_EQ(hit.fills.size(), 1u);
    ASSERT_EQ(hit.fills[0].trade_id, t1_ + 3);
    this->place_ok(this->buy(this->bob_, "58000", "0.2"));
    this->place_ok(this->sell(this->alice_, "61000", "0.5"));
  }
  std::vector<Kline> klines(const char* interval, std::optional<int64_t> start = {},
                            std::optional<int64_t> end = {}, size_t limit = 500, int64_t tz = 0) {
    KlineQuery q;
    q.symbol = "BTCUSDT";
    q.interval = *parse_interval(interval);
    q.start_ms = start;
    q.end_ms = end;
    q.limit = limit;
    q.tz_offset_ms = tz;
    q.now_ms = this->clock_.now_ms();
    return this->trading_->klines(q);
  }
  std::vector<int64_t> agg_ids(AggQuery q) {
    q.symbol = "BTCUSDT";
    std::vector<int64_t> ids;
    for (const auto& a : this->trading_->agg_trades(q)) ids.push_back(a.id);
    return ids;
  }
  int64_t t1_ = 0;
};
TYPED_TEST_SUITE(MarketDataTest, Backends);

TYPED_TEST(MarketDataTest, RecentTradesTopAndTickerFollowTheTrades) {
  this->trade();
  const MarketData& md = this->trading_->market();
  const int64_t t1 = this->t1_;
  const auto recent = md.recent_trades("BTCUSDT", 10);
  ASSERT_EQ(recent.size(), 4u);
  EXPECT_EQ(recent[0], (TradeTick{t1, u("60000"), u("0.01"), u("600"), kT0, false}));
  EXPECT_EQ(recent[2], (TradeTick{t1 + 2, u("60100"), u("0.03"), u("1803"), kT0, false}));
  EXPECT_EQ(recent[3], (TradeTick{t1 + 3, u("59000"), u("0.01"), u("590"), kT0 + 2 * kMin, true}));
  EXPECT_EQ(md.recent_trades("BTCUSDT", 1).front().id, t1 + 3);  // the newest
  EXPECT_EQ(*md.top("BTCUSDT"), (BookTop{u("58000"), u("0.2"), u("61000"), u("0.5")}));

  const int64_t now = this->clock_.now_ms();
  const Ticker t = *md.ticker("BTCUSDT", now);
  EXPECT_EQ(t.open_price, u("60000"));
  EXPECT_EQ(t.high_price, u("60100"));
  EXPECT_EQ(t.low_price, u("59000"));
  EXPECT_EQ(t.last_price, u("59000"));
  EXPECT_EQ(t.last_qty, u("0.01"));
  EXPECT_EQ(t.prev_close_price, 0);
  EXPECT_EQ(t.volume, u("0.07"));
  EXPECT_EQ(t.quote_volume, u("4193"));
  EXPECT_EQ(t.count, 4);
  EXPECT_EQ(t.first_id, t1);
  EXPECT_EQ(t.last_id, t1 + 3);
  EXPECT_EQ(t.price_change(), -u("1000"));
  EXPECT_EQ(t.change_permille_percent(), -1667);  // -1.667 %
  EXPECT_EQ(t.weighted_avg_price(), u("59900"));
  EXPECT_EQ(t.close_time, now);
  EXPECT_EQ(t.top.bid_price, u("58000"));
  auto avg = md.avg_price("BTCUSDT", now);
  ASSERT_TRUE(avg);
  EXPECT_EQ(avg->price, u("59900"));
  EXPECT_EQ(avg->close_time, kT0 + 2 * kMin);
  EXPECT_FALSE(md.ticker("ETHUSDT", now));

  // A cancel moves the top of the book.
  auto bid = this->trading_->open_orders(this->bob_, "BTCUSDT");
  ASSERT_EQ(bid.size(), 1u);
  ASSERT_TRUE(this->trading_->cancel(this->bob_, "BTCUSDT", bid[0].order_id, "").ok());
  EXPECT_EQ(*md.top("BTCUSDT"), (BookTop{0, 0, u("61000"), u("0.5")}));

  // A day later nothing is in the window: prices stay at the last one, ids are -1.
  this->clock_.advance_ms(MarketData::kDayMs);
  const Ticker later = *md.ticker("BTCUSDT", this->clock_.now_ms());
  EXPECT_EQ(later.count, 0);
  EXPECT_EQ(later.first_id, -1);
  EXPECT_EQ(later.open_price, u("59000"));
  EXPECT_EQ(later.high_price, u("59000"));
  EXPECT_EQ(later.prev_close_price, u("59000"));
  EXPECT_EQ(later.volume, 0);
  // avgPrice without trades in five minutes: the last price.
  EXPECT_EQ(md.avg_price("BTCUSDT", this->clock_.now_ms())->price, u("59000"));
}

TYPED_TEST(MarketDataTest, ARestartRebuildsTheSameMarketData) {
  this->trade();
  this->clock_.advance_ms(30'000);
  const int64_t now = this->clock_.now_ms();
  const auto ticker = *this->trading_->market().ticker("BTCUSDT", now);
  const auto recent = this->trading_->market().recent_trades("BTCUSDT", 1000);
  const auto top = *this->trading_->market().top("BTCUSDT");
  this->restart();
  const MarketData& md = this->trading_->market();
  const auto again = *md.ticker("BTCUSDT", now);
  EXPECT_EQ(again.open_price, ticker.open_price);
  EXPECT_EQ(again.high_price, ticker.high_price);
  EXPECT_EQ(again.low_price, ticker.low_price);
  EXPECT_EQ(again.last_price, ticker.last_price);
  EXPECT_EQ(again.last_qty, ticker.last_qty);
  EXPECT_EQ(again.volume, ticker.volume);
  EXPECT_EQ(again.quote_volume, ticker.quote_volume);
  EXPECT_EQ(again.count, ticker.count);
  EXPECT_EQ(again.first_id, ticker.first_id);
  EXPECT_EQ(again.last_id, ticker.last_id);
  EXPECT_EQ(md.recent_trades("BTCUSDT", 1000), recent);
  EXPECT_EQ(*md.top("BTCUSDT"), top);
  // The window keeps rolling from what was loaded: the first minute leaves it a day later.
  const auto later = *md.ticker("BTCUSDT", kM0 + MarketData::kDayMs);
  EXPECT_EQ(later.count, 1);
  EXPECT_EQ(later.prev_close_price, u("60100"));
  EXPECT_EQ(later.open_price, u("59000"));
}

TYPED_TEST(MarketDataTest, MinuteKlinesFillGapsAndHonourStartEndAndLimit) {
  this->trade();
  const auto k = this->klines("1m");
  ASSERT_EQ(k.size(), 3u);
  const int64_t t1 = this->t1_;
  EXPECT_EQ(k[0], (Kline{kM0, kM0 + kMin - 1, u("60000"), u("60100"), u("60000"), u("60100"),
                         u("0.06"), u("3603"), 3, u("0.06"), u("3603"), t1, t1 + 2}));
  // No trade in the second minute: flat at the last close.
  EXPECT_EQ(k[1], (Kline{kM0 + kMin, kM0 + 2 * kMin - 1, u("60100"), u("60100"), u("60100"),
                         u("60100"), 0, 0, 0, 0, 0, -1, -1}));
  // The seller took: no taker-buy volume.
  EXPECT_EQ(k[2], (Kline{kM0 + 2 * kMin, kM0 + 3 * kMin - 1, u("59000"), u("59000"), u("59000"),
                         u("59000"), u("0.01"), u("590"), 1, 0, 0, t1 + 3, t1 + 3}));
  // Without startTime, the newest `limit`; with it, those opening at or after it.
  EXPECT_EQ(this->klines("1m", {}, {}, 2).front().open_time, kM0 + kMin);
  EXPECT_EQ(this->klines("1m", kM0 + 1).front().open_time, kM0 + kMin);
  const auto between = this->klines("1m", kM0, kM0 + kMin);
  ASSERT_EQ(between.size(), 2u);
  EXPECT_EQ(between.back().close, u("60100"));
  EXPECT_EQ(this->klines("1m", {}, kM0 + kMin + 5).back().open_time, kM0 + kMin);
  // Nothing before the first trade, nothing after now.
  EXPECT_TRUE(this->klines("1m", {}, kM0 - 1).empty());
  EXPECT_TRUE(this->klines("1m", kM0 + 10 * kMin).empty());
  EXPECT_EQ(this->klines("1s").size(), 121u);  // kT0 .. kT0 + 120 s, each second
}

TYPED_TEST(MarketDataTest, LongerIntervalsAlignAsBinanceDoes) {
  this->trade();
  auto one = [&](const char* interval, int64_t tz = 0) {
    const auto k = this->klines(interval, {}, {}, 500, tz);
    EXPECT_EQ(k.size(), 1u) << interval;
    return k.empty() ? Kline{} : k.front();
  };
  const Kline hour = one("1h");
  EXPECT_EQ(hour.open_time, 1'699'999'200'000);  // 22:00
  EXPECT_EQ(hour.close_time, 1'699'999'200'000 + 3'600'000 - 1);
  EXPECT_EQ(hour.open, u("60000"));
  EXPECT_EQ(hour.high, u("60100"));
  EXPECT_EQ(hour.low, u("59000"));
  EXPECT_EQ(hour.close, u("59000"));
  EXPECT_EQ(hour.volume, u("0.07"));
  EXPECT_EQ(hour.count, 4);
  EXPECT_EQ(one("1d").open_time, 1'699'920'000'000);       // 2023-11-14T00:00Z
  EXPECT_EQ(one("1d", 8 * 3'600'000).open_time, 1'699'977'600'000);  // 2023-11-15 at +08:00
  EXPECT_EQ(one("1w").open_time, 1'699'833'600'000);       // Monday 2023-11-13
  const Kline month = one("1M");
  EXPECT_EQ(month.open_time, 1'698'796'800'000);           // 2023-11-01
  EXPECT_EQ(month.close_time, 1'701'388'800'000 - 1);      // until 2023-12-01
  EXPECT_EQ(month.volume, u("0.07"));
  EXPECT_EQ(month.close, u("59000"));
  ASSERT_TRUE(parse_time_zone("-1:30"));
  EXPECT_EQ(*parse_time_zone("-1:30"), -90 * kMin);
  EXPECT_EQ(*parse_time_zone("05:45"), 345 * kMin);
  EXPECT_FALSE(parse_time_zone("15"));
  EXPECT_FALSE(parse_time_zone("1:5"));
  EXPECT_FALSE(parse_interval("2m"));
}

TYPED_TEST(MarketDataTest, AggregateTradesGroupOneTakersFillsAtOnePrice) {
  this->trade();
  const int64_t t1 = this->t1_;
  AggQuery everything;
  everything.symbol = "BTCUSDT";
  const auto all = this->trading_->agg_trades(everything);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], (AggTrade{t1, u("60000"), u("0.03"), t1, t1 + 1, kT0, false}));
  EXPECT_EQ(all[1], (AggTrade{t1 + 2, u("60100"), u("0.03"), t1 + 2, t1 + 2, kT0, false}));
  EXPECT_EQ(all[2], (AggTrade{t1 + 3, u("59000"), u("0.01"), t1 + 3, t1 + 3, kT0 + 2 * kMin, true}));
  AggQuery q;
  q.from_id = t1 + 1;  // inside the first aggregate: the next whole one starts the answer
  EXPECT_EQ(this->agg_ids(q), (std::vector<int64_t>{t1 + 2, t1 + 3}));
  AggQuery one;
  one.symbol = "BTCUSDT";
  one.from_id = t1;
  one.limit = 1;
  const auto first = this->trading_->agg_trades(one);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].qty, u("0.03"));  // complete, though it spans two trades
  AggQuery newest;
  newest.limit = 2;
  EXPECT_EQ(this->agg_ids(newest), (std::vector<int64_t>{t1 + 2, t1 + 3}));
  AggQuery window;
  window.start_ms = kT0 + 1;
  window.end_ms = kT0 + 3 * kMin;
  EXPECT_EQ(this->agg_ids(window), (std::vector<int64_t>{t1 + 3}));
  AggQuery until;
  until.end_ms = kT0;
  EXPECT_EQ(this->agg_ids(until), (std::vector<int64_t>{t1, t1 + 2}));

  const auto from = this->trading_->historical_trades("BTCUSDT", t1 + 1, 2);
  ASSERT_EQ(from.size(), 2u);
  EXPECT_EQ(from[0].id, t1 + 1);
  EXPECT_EQ(from[1].id, t1 + 2);
  const auto last = this->trading_->historical_trades("BTCUSDT", std::nullopt, 2);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[1].id, t1 + 3);
}

}  // namespace
}  // namespace kg::trading
