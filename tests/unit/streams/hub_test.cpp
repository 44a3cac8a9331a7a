// The stream hub with sinks of its own: events become Binance's frames, wrapped per subscriber;
// depth diffs are batched with chained update ids; a sink that refuses a frame is dropped; user
// events reach only their user; stream names parse as Binance spells them; listen keys.

#include "streams/hub.hpp"

#include <gtest/gtest.h>

#include <mutex>

#include "common/decimal.hpp"
#include "streams/listen_keys.hpp"
#include "streams/names.hpp"

namespace kg::streams {
namespace {

int64_t u(const char* text) { return *parse_decimal(text, kAmountScale); }

struct FakeSink : Sink {
  bool push(std::shared_ptr<const std::string> frame) override {
    std::lock_guard lock(mu);
    if (refuse) return false;
    frames.push_back(*frame);
    return true;
  }
  void close() override { closed = true; }
  std::vector<std::string> take() {
    std::lock_guard lock(mu);
    return std::exchange(frames, {});
  }
  std::mutex mu;
  std::vector<std::string> frames;
  bool refuse = false;
  bool closed = false;
};

ExchangeSpec exchange() {
  ExchangeSpec ex;
  Market m;
  m.symbol = "BTCUSDT";
  m.base = "BTC";
  m.quote = "USDT";
  ex.markets.push_back(m);
  return ex;
}

class HubTest : public ::testing::Test {
 protected:
  HubTest() : market_(ex_), hub_(ex_, market_, clock_, [](const Market&, const trading::Interval&) {
                return std::optional<trading::Kline>{};
              }) {
    hub_.start();
  }
  trading::MarketEvents trade_events(int64_t first_update, int64_t update) {
    trading::MarketEvents e;
    e.market = &ex_.markets[0];
    e.time_ms = 1'700'000'000'000;
    e.trades = {{7, u("60000"), u("0.5"), u("30000"), e.time_ms, false}, {8, u("60000"), u("0.25"), u("15000"), e.time_ms, false}};
    e.asks = {{u("60000"), u("0.25"), 1}};
    e.first_update_id = first_update;
    e.update_id = update;
    e.top = {u("59000"), u("1"), u("60000"), u("0.25")};
    return e;
  }

  ExchangeSpec ex_ = exchange();
  ManualClock clock_{1'700'000'000'500};
  trading::MarketData market_;
  Hub hub_;
};

TEST_F(HubTest, TradesAggregatesAndBookTickerReachTheirStreamsWrappedPerSubscriber) {
  auto raw = std::make_shared<FakeSink>();
  auto combined = std::make_shared<FakeSink>();
  ASSERT_TRUE(hub_.subscribe("btcusdt@trade", raw, Wrap{}));
  ASSERT_TRUE(hub_.subscribe("btcusdt@aggTrade", combined, Wrap{Wrap::Kind::kCombined, "btcusdt@aggTrade", 0}));
  ASSERT_TRUE(hub_.subscribe("btcusdt@bookTicker", combined, Wrap{Wrap::Kind::kCombined, "btcusdt@bookTicker", 0}));
  EXPECT_FALSE(hub_.subscribe("BTCUSDT@trade", raw, Wrap{}));
  EXPECT_FALSE(hub_.subscribe("ethusdt@trade", raw, Wrap{}));
  hub_.on_market(trade_events(5, 5));
  hub_.flush();
  const auto trades = raw->take();
  ASSERT_EQ(trades.size(), 2u);
  EXPECT_EQ(trades[0],
            R"({"e":"trade","E":1700000000500,"s":"BTCUSDT","t":7,"p":"60000.00000000","q":"0.50000000",)"
            R"("T":1700000000000,"m":false,"M":true})");
  const auto frames = combined->take();
  ASSERT_EQ(frames.size(), 2u);
  // One taker's two fills at one price: one aggregate, its id the first trade's.
  EXPECT_EQ(frames[0],
            R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1700000000500,"s":"BTCUSDT","a":7,)"
            R"("p":"60000.00000000","q":"0.75000000","f":7,"l":8,"T":1700000000000,"m":false,"M":true}})");
  EXPECT_EQ(frames[1],
            R"({"stream":"btcusdt@bookTicker","data":{"u":5,"s":"BTCUSDT","b":"59000.00000000","B":"1.00000000",)"
            R"("a":"60000.00000000","A":"0.25000000"}})");
  // The same top again is not news.
  hub_.on_market(trade_events(6, 6));
  hub_.flush();
  EXPECT_EQ(combined->take().size(), 1u);  // the aggregate only
}

TEST_F(HubTest, DepthDiffsAreBatchedWithChainedUpdateIds) {
  auto sink = std::make_shared<FakeSink>();
  ASSERT_TRUE(hub_.subscribe("btcusdt@depth@100ms", sink, Wrap{}));
  auto first = trade_events(10, 10);
  first.bids = {{u("59000"), u("1"), 1}};
  hub_.on_market(std::move(first));
  auto second = trade_events(11, 11);
  second.asks = {{u("60000"), 0, 0}, {u("60100"), u("2"), 1}};
  hub_.on_market(std::move(second));
  std::vector<std::string> frames;
  for (int i = 0; i < 50 && frames.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    frames = sink->take();
  }
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0],
            R"({"e":"depthUpdate","E":1700000000500,"s":"BTCUSDT","U":10,"u":11,"b":[["59000.00000000","1.00000000"]],)"
            R"("a":[["60000.00000000","0.00000000"],["60100.00000000","2.00000000"]]})");
}

TEST_F(HubTest, ASinkThatRefusesIsDroppedAndOthersAreServed) {
  auto slow = std::make_shared<FakeSink>();
  auto fast = std::make_shared<FakeSink>();
  hub_.subscribe("btcusdt@trade", slow, Wrap{});
  hub_.subscribe("btcusdt@trade", fast, Wrap{});
  slow->refuse = true;
  hub_.on_market(trade_events(1, 1));
  hub_.flush();
  EXPECT_EQ(fast->take().size(), 2u);
  EXPECT_EQ(hub_.subscribers(), 1u);
  slow->refuse = false;
  hub_.on_market(trade_events(2, 2));
  hub_.flush();
  EXPECT_TRUE(slow->take().empty());  // gone for good
}

TEST_F(HubTest, ExecutionReportsReachOnlyTheirUserWithTheSubscriptionWrapper) {
  auto mine = std::make_shared<FakeSink>();
  auto theirs = std::make_shared<FakeSink>();
  hub_.subscribe_user(42, mine, Wrap{Wrap::Kind::kSubscription, "", 3});
  hub_.subscribe_user(43, theirs, Wrap{});
  auto e = trade_events(1, 1);
  trading::Order o;
  o.order_id = 9;
  o.user_id = 42;
  o.symbol = "BTCUSDT";
  o.client_order_id = "c1";
  o.price = u("60000");
  o.orig_qty = u("1");
  o.created_ms = o.updated_ms = 1'700'000'000'000;
  e.updates.push_back(trading::OrderUpdate::of(o, trading::ExecType::kNew));
  hub_.on_market(std::move(e));
  hub_.flush();
  const auto frames = mine->take();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0].starts_with(R"({"subscriptionId":3,"event":{"e":"executionReport","E":1700000000500,"s":"BTCUSDT","c":"c1",)"))
      << frames[0];
  EXPECT_NE(frames[0].find(R"("x":"NEW","X":"NEW","r":"NONE","i":9,)"), std::string::npos) << frames[0];
  EXPECT_TRUE(theirs->take().empty());
  hub_.drop(mine.get());
  EXPECT_EQ(hub_.subscribers(), 1u);
}

TEST(StreamNames, AsBinanceSpellsThem) {
  const ExchangeSpec ex = exchange();
  auto depth = parse_stream("btcusdt@depth@100ms", ex);
  ASSERT_TRUE(depth);
  EXPECT_EQ(depth->kind, Kind::kDepth);
  EXPECT_EQ(depth->depth_ms, 100);
  EXPECT_EQ(parse_stream("btcusdt@depth", ex)->depth_ms, 1000);
  auto kline = parse_stream("btcusdt@kline_1M", ex);
  ASSERT_TRUE(kline);
  EXPECT_EQ(kline->interval.name, "1M");
  for (const char* ok : {"btcusdt@trade", "btcusdt@aggTrade", "btcusdt@bookTicker", "btcusdt@ticker", "btcusdt@miniTicker"}) {
    EXPECT_TRUE(parse_stream(ok, ex)) << ok;
  }
  for (const char* bad : {"BTCUSDT@trade", "btcusdt@aggtrade", "btcusdt@kline_2m", "ethusdt@trade", "btcusdt", "@trade",
                          "btcusdt@depth@10ms"}) {
    EXPECT_FALSE(parse_stream(bad, ex)) << bad;
  }
}

TEST(ListenKeys, OnePerAccountKeptAliveAndClosedWhenItsKeysGoBad) {
  ManualClock clock{1'000'000};
  ListenKeys keys(clock, 60'000);
  const std::string a = keys.open(1, "keyA");
  EXPECT_EQ(a.size(), 60u);
  EXPECT_EQ(keys.open(1, "keyB"), a);  // the account's active key, extended
  EXPECT_NE(keys.open(2, "keyC"), a);
  EXPECT_FALSE(keys.keep_alive(2, "keyC", a));  // another account's
  EXPECT_FALSE(keys.close(2, a));
  auto sink = std::make_shared<FakeSink>();
  ASSERT_TRUE(keys.attach(a, sink));
  // keyA goes bad: keyB still stands behind the listen key.
  keys.sweep(clock.now_ms(), [](const std::string& k) { return k != "keyA"; });
  EXPECT_TRUE(keys.owner(a));
  EXPECT_FALSE(sink->closed);
  keys.sweep(clock.now_ms(), [](const std::string& k) { return k == "keyC"; });
  EXPECT_FALSE(keys.owner(a));
  EXPECT_TRUE(sink->closed);
  // Expiry: listenKeyExpired, then closed.
  const std::string c = keys.open(2, "keyC");
  auto other = std::make_shared<FakeSink>();
  ASSERT_TRUE(keys.attach(c, other));
  clock.advance_ms(60'000);
  EXPECT_FALSE(keys.owner(c));  // past its time
  keys.sweep(clock.now_ms(), [](const std::string&) { return true; });
  const auto frames = other->take();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], R"({"e":"listenKeyExpired","E":1060000,"listenKey":")" + c + R"("})");
  EXPECT_TRUE(other->closed);
  EXPECT_EQ(keys.size(), 0u);
}

}  // namespace
}  // namespace kg::streams
