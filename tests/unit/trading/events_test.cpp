// What trading tells its listener after each commit: the order updates (executionReport) in the
// order they happened, the changed levels with chained update ids (depth diffs), trades and the
// top of the book; update ids never go back across a restart.

#include <gtest/gtest.h>

#include <mutex>

#include "trading/trading_fixture.hpp"

namespace kg::trading {
namespace {

using test::Backends;
using test::u;

struct Recorder : MarketListener {
  void on_market(MarketEvents&& e) override {
    std::lock_guard lock(mu);
    events.push_back(std::move(e));
  }
  std::vector<MarketEvents> take() {
    std::lock_guard lock(mu);
    return std::exchange(events, {});
  }
  std::mutex mu;
  std::vector<MarketEvents> events;
};

// "NEW:NEW" style: exec type and status of each update, with the order's client id.
std::string summary(const MarketEvents& e) {
  std::string out;
  for (const auto& up : e.updates) {
    if (!out.empty()) out += ' ';
    out += up.order.client_order_id + ":" + std::string(to_string(up.exec)) + "/" +
           std::string(matching::to_string(up.order.status));
    if (up.exec == ExecType::kTrade) out += up.maker ? "(maker)" : "(taker)";
  }
  return out;
}

template <typename Backend>
class TradingEventsTest : public test::TradingFixture<Backend> {
 protected:
  void SetUp() override {
    test::TradingFixture<Backend>::SetUp();
    if (this->trading_) this->trading_->set_listener(&recorder_);
    if (!this->trading_) return;
    this->fund(this->alice_, "BTC", u("1"));
    this->fund(this->bob_, "USDT", u("100000"));
    this->fund(this->bob_, "BTC", u("1"));
  }
  OrderRequest named(OrderRequest r, const char* id) {
    r.client_order_id = id;
    return r;
  }
  MarketEvents one() {
    auto all = recorder_.take();
    EXPECT_EQ(all.size(), 1u);
    return all.empty() ? MarketEvents{} : std::move(all.front());
  }
  Recorder recorder_;
};
TYPED_TEST_SUITE(TradingEventsTest, Backends);

TYPED_TEST(TradingEventsTest, UpdatesLevelsAndTradesOfEachCommand) {
  this->place_ok(this->named(this->sell(this->alice_, "60000", "0.1"), "a1"));
  MarketEvents rest = this->one();
  EXPECT_EQ(summary(rest), "a1:NEW/NEW");
  ASSERT_EQ(rest.asks.size(), 1u);
  EXPECT_EQ(rest.asks[0].quantity, u("0.1"));
  EXPECT_TRUE(rest.bids.empty());
  EXPECT_EQ(rest.first_update_id, rest.update_id);
  EXPECT_EQ(rest.top.ask_price, u("60000"));
  EXPECT_TRUE(rest.trades.empty());

  this->place_ok(this->named(this->buy(this->bob_, "60000", "0.04"), "b1"));
  MarketEvents fill = this->one();
  EXPECT_EQ(summary(fill), "b1:NEW/NEW a1:TRADE/PARTIALLY_FILLED(maker) b1:TRADE/FILLED(taker)");
  EXPECT_EQ(fill.first_update_id, rest.update_id + 1);  // diffs chain
  EXPECT_EQ(fill.update_id, fill.first_update_id);
  ASSERT_EQ(fill.asks.size(), 1u);
  EXPECT_EQ(fill.asks[0].quantity, u("0.06"));
  ASSERT_EQ(fill.trades.size(), 1u);
  const OrderUpdate& taker = fill.updates[2];
  EXPECT_EQ(taker.last_qty, u("0.04"));
  EXPECT_EQ(taker.last_price, u("60000"));
  EXPECT_EQ(taker.last_quote, u("2400"));
  EXPECT_EQ(taker.commission, u("0.00004"));  // 0.1 % of the BTC it received
  EXPECT_EQ(taker.commission_asset, "BTC");
  EXPECT_EQ(taker.trade_id, fill.trades[0].id);
  EXPECT_EQ(taker.order.executed_qty, u("0.04"));
  const OrderUpdate& maker = fill.updates[1];
  EXPECT_EQ(maker.commission, u("2.4"));  // 0.1 % of the USDT it received
  EXPECT_EQ(maker.commission_asset, "USDT");
  EXPECT_EQ(maker.order.executed_qty, u("0.04"));

  // An IOC that finds nothing: NEW then EXPIRED, and no level moved.
  this->place_ok(this->named(this->limit(this->bob_, Side::kBuy, "59000", "0.01", TimeInForce::kIoc), "b2"));
  MarketEvents ioc = this->one();
  EXPECT_EQ(summary(ioc), "b2:NEW/NEW b2:EXPIRED/EXPIRED");
  EXPECT_TRUE(ioc.asks.empty() && ioc.bids.empty());
  EXPECT_EQ(ioc.update_id, fill.update_id);
  EXPECT_EQ(ioc.first_update_id, ioc.update_id + 1);

  auto open = this->trading_->open_orders(this->alice_, "BTCUSDT");
  ASSERT_EQ(open.size(), 1u);
  ASSERT_TRUE(this->trading_->cancel(this->alice_, "BTCUSDT", open[0].order_id, "").ok());
  MarketEvents cancel = this->one();
  EXPECT_EQ(summary(cancel), "a1:CANCELED/CANCELED");
  ASSERT_EQ(cancel.asks.size(), 1u);
  EXPECT_EQ(cancel.asks[0].quantity, 0);  // the level is gone
  EXPECT_EQ(cancel.first_update_id, fill.update_id + 1);
  EXPECT_EQ(this->trading_->depth("BTCUSDT", 5)->last_update_id, cancel.update_id);
}

TYPED_TEST(TradingEventsTest, SelfTradePreventionAndFullFillsAreReported) {
  this->place_ok(this->named(this->sell(this->bob_, "60000", "0.01"), "own"));
  this->place_ok(this->named(this->sell(this->alice_, "60100", "0.02"), "ask"));
  (void)this->recorder_.take();
  auto r = this->named(this->buy(this->bob_, "60100", "0.02"), "sweep");
  r.stp = SelfTradePrevention::kExpireMaker;
  this->place_ok(r);
  MarketEvents e = this->one();
  EXPECT_EQ(summary(e),
            "sweep:NEW/NEW own:TRADE_PREVENTION/EXPIRED_IN_MATCH ask:TRADE/FILLED(maker) sweep:TRADE/FILLED(taker)");
  EXPECT_EQ(e.asks.size(), 2u);  // both levels emptied
  for (const auto& l : e.asks) EXPECT_EQ(l.quantity, 0);
}

TYPED_TEST(TradingEventsTest, UpdateIdsNeverGoBackAcrossARestart) {
  this->place_ok(this->sell(this->alice_, "60000", "0.1"));
  for (int i = 0; i < 3; ++i) {
    auto id = this->place_ok(this->sell(this->alice_, "61000", "0.01")).order.order_id;
    ASSERT_TRUE(this->trading_->cancel(this->alice_, "BTCUSDT", id, "").ok());
  }
  const int64_t before = this->trading_->depth("BTCUSDT", 5)->last_update_id;
  this->restart();
  EXPECT_GE(this->trading_->depth("BTCUSDT", 5)->last_update_id, before);
}

}  // namespace
}  // namespace kg::trading
