// Trading against a real engine and store, on every backend: holds of exactly an order's cost,
// fills at the maker's price with fees rounded in the exchange's favour, releases when an order
// is done, Binance's refusals that change nothing, the queries, and MARKET orders of every kind.

#include <gtest/gtest.h>

#include "trading/trading_fixture.hpp"

namespace kg::trading {
namespace {

using test::Backends;
using test::u;

template <typename Backend>
class TradingTest : public test::TradingFixture<Backend> {};
TYPED_TEST_SUITE(TradingTest, Backends);

TYPED_TEST(TradingTest, RestingLimitBuyHoldsExactlyItsCost) {
  this->fund(this->alice_, "USDT", u("10000"));
  auto p = this->place_ok(this->buy(this->alice_, "60000", "0.1"));
  EXPECT_EQ(p.order.status, OrderStatus::kNew);
  EXPECT_TRUE(p.fills.empty());
  EXPECT_EQ(p.order.held, u("6000"));
  EXPECT_EQ(this->free_of(this->alice_, "USDT"), u("4000"));
  EXPECT_EQ(this->locked_of(this->alice_, "USDT"), u("6000"));
  auto open = this->trading_->open_orders(this->alice_, "BTCUSDT");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].order_id, p.order.order_id);
  EXPECT_EQ(open[0].client_order_id, p.order.client_order_id);
  EXPECT_EQ(open[0].orig_qty, u("0.1"));
  EXPECT_EQ(open[0].price, u("60000"));
  auto d = this->trading_->depth("BTCUSDT", 10);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->bids.size(), 1u);
  EXPECT_EQ(d->bids[0].price, u("60000"));
  EXPECT_EQ(d->bids[0].quantity, u("0.1"));
  EXPECT_TRUE(d->asks.empty());
}

TYPED_TEST(TradingTest, CrossingSellFillsAtTheMakersPriceWithFees) {
  this->fund(this->alice_, "USDT", u("10000"));
  this->fund(this->bob_, "BTC", u("1"));
  auto maker = this->place_ok(this->buy(this->alice_, "60000", "0.1"));
  auto taker = this->place_ok(this->sell(this->bob_, "59000", "0.1"));
  EXPECT_EQ(taker.order.status, OrderStatus::kFilled);
  EXPECT_EQ(taker.order.executed_qty, u("0.1"));
  EXPECT_EQ(taker.order.cumm_quote_qty, u("6000"));
  ASSERT_EQ(taker.fills.size(), 1u);
  EXPECT_EQ(taker.fills[0].price, u("60000"));
  EXPECT_EQ(taker.fills[0].qty, u("0.1"));
  EXPECT_EQ(taker.fills[0].commission, u("6"));  // the taker sells: 0.1% of the 6000 USDT it gets
  EXPECT_EQ(taker.fills[0].commission_asset, "USDT");

  // The buyer (maker) gets 0.1 BTC less 0.1%; the seller 6000 USDT less 0.1%.
  EXPECT_EQ(this->balance(this->alice_, "BTC"), (ledger::UserBalance{"BTC", u("0.0999"), 0}));
  EXPECT_EQ(this->balance(this->alice_, "USDT"), (ledger::UserBalance{"USDT", u("4000"), 0}));
  EXPECT_EQ(this->balance(this->bob_, "BTC"), (ledger::UserBalance{"BTC", u("0.9"), 0}));
  EXPECT_EQ(this->balance(this->bob_, "USDT"), (ledger::UserBalance{"USDT", u("5994"), 0}));
  EXPECT_EQ(this->fees_of("BTC"), u("0.0001"));
  EXPECT_EQ(this->fees_of("USDT"), u("6"));

  auto filled = this->trading_->order(this->alice_, "BTCUSDT", maker.order.order_id, "");
  ASSERT_TRUE(filled.ok());
  EXPECT_EQ(filled->status, OrderStatus::kFilled);
  EXPECT_EQ(filled->executed_qty, u("0.1"));
  EXPECT_EQ(filled->cumm_quote_qty, u("6000"));
  EXPECT_EQ(filled->held, 0);

  TradeQuery q;
  q.symbol = "BTCUSDT";
  auto mine = this->trading_->my_trades(this->alice_, q);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].trade_id, taker.fills[0].trade_id);
  EXPECT_EQ(mine[0].order_id, maker.order.order_id);
  EXPECT_TRUE(mine[0].is_buyer);
  EXPECT_TRUE(mine[0].is_maker);
  EXPECT_EQ(mine[0].commission, u("0.0001"));
  EXPECT_EQ(mine[0].commission_asset, "BTC");
  EXPECT_EQ(mine[0].quote_qty, u("6000"));
  auto theirs = this->trading_->my_trades(this->bob_, q);
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_FALSE(theirs[0].is_buyer);
  EXPECT_FALSE(theirs[0].is_maker);
  EXPECT_EQ(theirs[0].commission, u("6"));
  EXPECT_TRUE(this->trading_->my_trades(this->carol_, q).empty());
  EXPECT_TRUE(this->trading_->open_orders(this->alice_, "").empty());
}

TYPED_TEST(TradingTest, FeesRoundUpAndNeverCreateMoney) {
  this->fund(this->alice_, "USDT", u("100"));
  this->fund(this->bob_, "BTC", u("1"));
  this->place_ok(this->sell(this->bob_, "60000.01", "0.00011"));
  auto taker = this->place_ok(this->buy(this->alice_, "60000.01", "0.00011"));
  ASSERT_EQ(taker.fills.size(), 1u);
  // 60000.01 x 0.00011 = 6.6000011 USDT; 0.1% of it is 0.0066000011, rounded up to 0.00660001.
  EXPECT_EQ(taker.fills[0].commission, u("0.00000011"));  // the buyer's fee: 0.1% of 0.00011 BTC
  EXPECT_EQ(this->free_of(this->bob_, "USDT"), u("6.6000011") - u("0.00660001"));
  EXPECT_EQ(this->fees_of("USDT"), u("0.00660001"));
  EXPECT_EQ(this->free_of(this->alice_, "USDT"), u("100") - u("6.6000011"));
  EXPECT_EQ(this->free_of(this->alice_, "BTC"), u("0.00011") - u("0.00000011"));
}

TYPED_TEST(TradingTest, PartialFillRestsTheRestAndCancelReturnsTheHold) {
  this->fund(this->alice_, "USDT", u("20000"));
  this->fund(this->bob_, "BTC", u("1"));
  auto buy = this->place_ok(this->buy(this->alice_, "60000", "0.2"));
  this->place_ok(this->sell(this->bob_, "60000", "0.05"));
  auto now = this->trading_->order(this->alice_, "BTCUSDT", buy.order.order_id, "");
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ(now->executed_qty, u("0.05"));
  EXPECT_EQ(now->held, u("9000"));
  EXPECT_EQ(this->locked_of(this->alice_, "USDT"), u("9000"));

  this->clock_.advance_ms(1000);
  auto canceled = this->trading_->cancel(this->alice_, "BTCUSDT", 0, buy.order.client_order_id);
  ASSERT_TRUE(canceled.ok()) << canceled.error().msg;
  EXPECT_EQ(canceled->status, OrderStatus::kCanceled);
  EXPECT_EQ(canceled->executed_qty, u("0.05"));
  EXPECT_EQ(canceled->updated_ms, this->clock_.now_ms());
  EXPECT_EQ(this->balance(this->alice_, "USDT"), (ledger::UserBalance{"USDT", u("17000"), 0}));
  // Done orders are not open, cannot be cancelled again, but can still be read.
  this->expect_error(this->trading_->cancel(this->alice_, "BTCUSDT", buy.order.order_id, ""), -2011,
                     "Unknown order sent.");
  auto read = this->trading_->order(this->alice_, "BTCUSDT", 0, buy.order.client_order_id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->status, OrderStatus::kCanceled);
  EXPECT_EQ(read->updated_ms, this->clock_.now_ms());
}

TYPED_TEST(TradingTest, TakerBuyAtABetterPriceKeepsOnlyItsRestsCostLocked) {
  this->fund(this->alice_, "USDT", u("10000"));
  this->fund(this->bob_, "BTC", u("1"));
  this->place_ok(this->sell(this->bob_, "50000", "0.1"));
  auto p = this->place_ok(this->buy(this->alice_, "60000", "0.15"));  // holds 9000 first
  EXPECT_EQ(p.order.status, OrderStatus::kPartiallyFilled);
  EXPECT_EQ(p.order.cumm_quote_qty, u("5000"));
  EXPECT_EQ(p.order.held, u("3000"));  // 0.05 left at 60000
  EXPECT_EQ(this->balance(this->alice_, "USDT"),
            (ledger::UserBalance{"USDT", u("2000"), u("3000")}));
}

TYPED_TEST(TradingTest, InsufficientBalanceChangesNothing) {
  this->fund(this->alice_, "USDT", u("10000"));
  this->fund(this->bob_, "BTC", u("0.5"));
  this->place_ok(this->buy(this->alice_, "60000", "0.1"));
  const uint64_t before = this->trading_->state_hash();
  const uint64_t ledger_before = this->wallet_->verify().state_hash;
  this->expect_error(this->trading_->place(this->buy(this->alice_, "60000", "0.1")), -2010,
                     "Account has insufficient balance for requested action.");
  this->expect_error(this->trading_->place(this->sell(this->bob_, "70000", "0.50001")), -2010);
  EXPECT_EQ(this->trading_->state_hash(), before);
  EXPECT_EQ(this->wallet_->verify().state_hash, ledger_before);
  EXPECT_EQ(this->trading_->open_orders(this->alice_, "").size(), 1u);
  EXPECT_TRUE(this->trading_->open_orders(this->bob_, "").empty());
  OrderQuery q;
  q.symbol = "BTCUSDT";
  EXPECT_TRUE(this->trading_->all_orders(this->bob_, q).empty());
}

TYPED_TEST(TradingTest, FiltersAndSymbol) {
  this->fund(this->alice_, "USDT", u("10000"));
  auto off_tick = this->buy(this->alice_, "60000.001", "0.1");
  this->expect_error(this->trading_->place(off_tick), -1013, "Filter failure: PRICE_FILTER");
  this->expect_error(this->trading_->place(this->buy(this->alice_, "60000", "0.000015")), -1013,
                     "Filter failure: LOT_SIZE");
  this->expect_error(this->trading_->place(this->buy(this->alice_, "100", "0.01")), -1013,
                     "Filter failure: NOTIONAL");
  auto unknown = this->buy(this->alice_, "60000", "0.1");
  unknown.symbol = "DOGEUSDT";
  this->expect_error(this->trading_->place(unknown), -1121, "Invalid symbol.");
  EXPECT_TRUE(this->trading_->check(this->buy(this->alice_, "60000", "0.1")).ok());
  EXPECT_EQ(this->free_of(this->alice_, "USDT"), u("10000"));
}

TYPED_TEST(TradingTest, AnOpenClientOrderIdIsADuplicateUntilItsOrderIsDone) {
  this->fund(this->alice_, "USDT", u("10000"));
  auto first = this->buy(this->alice_, "60000", "0.1");
  first.client_order_id = "my-order_1";
  auto placed = this->place_ok(first);
  auto again = this->buy(this->alice_, "50000", "0.01");
  again.client_order_id = "my-order_1";
  this->expect_error(this->trading_->place(again), -2010, "Duplicate order sent.");
  EXPECT_EQ(this->locked_of(this->alice_, "USDT"), u("6000"));
  // Another user may use the same id.
  this->fund(this->bob_, "USDT", u("1000"));
  auto bobs = this->buy(this->bob_, "50000", "0.01");
  bobs.client_order_id = "my-order_1";
  this->place_ok(bobs);
  // Once the order is done the id is free again (as on Binance); the newest answers by id.
  ASSERT_TRUE(this->trading_->cancel(this->alice_, "BTCUSDT", placed.order.order_id, "").ok());
  auto reused = this->place_ok(again);
  EXPECT_GT(reused.order.order_id, placed.order.order_id);
  auto read = this->trading_->order(this->alice_, "BTCUSDT", 0, "my-order_1");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->order_id, reused.order.order_id);
}

TYPED_TEST(TradingTest, AnotherUsersOrderIsNotThere) {
  this->fund(this->alice_, "USDT", u("10000"));
  auto p = this->place_ok(this->buy(this->alice_, "60000", "0.1"));
  this->expect_error(this->trading_->order(this->bob_, "BTCUSDT", p.order.order_id, ""), -2013,
                     "Order does not exist.");
  this->expect_error(this->trading_->order(this->bob_, "BTCUSDT", 0, p.order.client_order_id),
                     -2013);
  this->expect_error(this->trading_->order(this->alice_, "BTCUSDT", p.order.order_id + 100, ""),
                     -2013);
  this->expect_error(this->trading_->cancel(this->bob_, "BTCUSDT", p.order.order_id, ""), -2011);
  this->expect_error(this->trading_->cancel(this->bob_, "BTCUSDT", 0, p.order.client_order_id),
                     -2011);
  this->expect_error(this->trading_->cancel_all(this->bob_, "BTCUSDT"), -2011);
  EXPECT_EQ(this->locked_of(this->alice_, "USDT"), u("6000"));
}

TYPED_TEST(TradingTest, CancelAllCancelsTheSymbolsOpenOrdersOldestFirst) {
  this->fund(this->alice_, "USDT", u("10000"));
  auto a = this->place_ok(this->buy(this->alice_, "60000", "0.01"));
  auto b = this->place_ok(this->buy(this->alice_, "59000", "0.01"));
  auto done = this->trading_->cancel_all(this->alice_, "BTCUSDT");
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->size(), 2u);
  EXPECT_EQ((*done)[0].order_id, a.order.order_id);
  EXPECT_EQ((*done)[1].order_id, b.order.order_id);
  EXPECT_EQ(this->balance(this->alice_, "USDT"), (ledger::UserBalance{"USDT", u("10000"), 0}));
  OrderQuery q;
  q.symbol = "BTCUSDT";
  auto all = this->trading_->all_orders(this->alice_, q);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].status, OrderStatus::kCanceled);
  q.from_order_id = b.order.order_id;
  EXPECT_EQ(this->trading_->all_orders(this->alice_, q).size(), 1u);
}

TYPED_TEST(TradingTest, LimitMakerThatWouldTakeIsRefused) {
  this->fund(this->alice_, "USDT", u("10000"));
  this->fund(this->bob_, "BTC", u("1"));
  this->place_ok(this->sell(this->bob_, "60000", "0.1"));
  auto r = this->buy(this->alice_, "60000", "0.1");
  r.type = OrderType::kLimitMaker;
  this->expect_error(this->trading_->place(r), -2010, "Order would immediately match and take.");
  EXPECT_EQ(this->free_of(this->alice_, "USDT"), u("10000"));
  r.price = u("59999.99");
  auto rested = this->place_ok(r);
  EXPECT_EQ(rested.order.status, OrderStatus::kNew);
  EXPECT_EQ(rested.order.type, OrderType::kLimitMaker);
}

TYPED_TEST(TradingTest, FokAndIocExpireAndReleaseTheirHolds) {
  this->fund(this->alice_, "USDT", u("10000"));
  this->fund(this->bob_, "BTC", u("1"));
  this->place_ok(this->sell(this->bob_, "60000", "0.05"));
  auto fok =
      this->place_ok(this->limit(this->alice_, Side::kBuy, "60000", "0.1", TimeInForce::kFok));
  EXPECT_EQ(fok.order.status, OrderStatus::kExpired);
  EXPECT_EQ(fok.order.executed_qty, 0);
  EXPECT_EQ(this->balance(this->alice_, "USDT"), (ledger::UserBalance{"USDT", u("10000"), 0}));
  auto ioc =
      this->place_ok(this->limit(this->alice_, Side::kBuy, "60000", "0.1", TimeInForce::kIoc));
  EXPECT_EQ(ioc.order.status, OrderStatus::kExpired);
  EXPECT_EQ(ioc.order.executed_qty, u("0.05"));
  EXPECT_EQ(this->balance(this->alice_, "USDT"), (ledger::UserBalance{"USDT", u("7000"), 0}));
  EXPECT_TRUE(this->trading_->open_orders(this->alice_, "").empty());
}

TYPED_TEST(TradingTest, MarketBuyByQuoteSpendsAtMostItsQuote) {
  this->fund(this->alice_, "USDT", u("10000"));
  this->fund(this->bob_, "BTC", u("1"));
  this->place_ok(this->sell(this->bob_, "60000", "0.1"));
  this->place_ok(this->sell(this->bob_, "61000", "0.1"));
  auto p = this->place_ok(this->market(this->alice_, Side::kBuy, nullptr, "9000"));
  EXPECT_EQ(p.order.status, OrderStatus::kFilled);
  ASSERT_EQ(p.fills.size(), 2u);
  EXPECT_EQ(p.fills[1].qty, u("0.04918"));  // whole steps only: 3000 / 61000 = 0.0491803...
  EXPECT_EQ(p.fills[1].commission, u("0.00004918"));
  EXPECT_EQ(p.order.executed_qty, u("0.14918"));
  EXPECT_EQ(p.order.cumm_quote_qty, u("8999.98"));
  EXPECT_EQ(p.order.orig_quote_qty, u("9000"));
  EXPECT_EQ(this->balance(this->alice_, "USDT"), (ledger::UserBalance{"USDT", u("1000.02"), 0}));
  EXPECT_EQ(this->balance(this->alice_, "BTC"), (ledger::UserBalance{"BTC", u("0.14903082"), 0}));
  EXPECT_EQ(this->balance(this->bob_, "BTC"), (ledger::UserBalance{"BTC", u("0.8"), u("0.05082")}));
  EXPECT_EQ(this->balance(this->bob_, "USDT"), (ledger::UserBalance{"USDT", u("8990.98002"), 0}));
}

TYPED_TEST(TradingTest, MarketBuyByQuantityHoldsTheBooksCostOrIsRefused) {
  this->fund(this->bob_, "BTC", u("1"));
  this->place_ok(this->sell(this->bob_, "60000", "0.1"));
  this->place_ok(this->sell(this->bob_, "61000", "0.1"));
  // 0.1 at 60000 and 0.05 at 61000 cost 9050: 9000 is not enough, and nothing changes.
  this->fund(this->carol_, "USDT", u("9000"));
  this->expect_error(this->trading_->place(this->market(this->carol_, Side::kBuy, "0.15", nullptr)),
                     -2010);
  EXPECT_EQ(this->balance(this->carol_, "USDT"), (ledger::UserBalance{"USDT", u("9000"), 0}));
  this->fund(this->carol_, "USDT", u("50"));
  auto p = this->place_ok(this->market(this->carol_, Side::kBuy, "0.15", nullptr));
  EXPECT_EQ(p.order.status, OrderStatus::kFilled);
  EXPECT_EQ(p.order.cumm_quote_qty, u("9050"));
  EXPECT_EQ(this->balance(this->carol_, "USDT"), (ledger::UserBalance{"USDT", 0, 0}));
  EXPECT_EQ(this->free_of(this->carol_, "BTC"), u("0.15") - u("0.00015"));
  // More than the book has: what there is, EXPIRED, the rest of the hold released.
  this->fund(this->alice_, "USDT", u("100000"));
  auto rest = this->place_ok(this->market(this->alice_, Side::kBuy, "1", nullptr));
  EXPECT_EQ(rest.order.status, OrderStatus::kExpired);
  EXPECT_EQ(rest.order.executed_qty, u("0.05"));
  EXPECT_EQ(this->balance(this->alice_, "USDT"),
            (ledger::UserBalance{"USDT", u("100000") - u("3050"), 0}));
  // An empty book: EXPIRED, nothing held or spent.
  auto none = this->place_ok(this->market(this->alice_, Side::kBuy, "1", nullptr));
  EXPECT_EQ(none.order.status, OrderStatus::kExpired);
  EXPECT_EQ(none.order.executed_qty, 0);
}

TYPED_TEST(TradingTest, MarketSellByQuoteHoldsABoundAndReleasesTheRest) {
  this->fund(this->alice_, "USDT", u("20000"));
  this->fund(this->bob_, "BTC", u("1"));
  this->place_ok(this->buy(this->alice_, "60000", "0.1"));
  this->place_ok(this->buy(this->alice_, "59000", "0.1"));
  auto p = this->place_ok(this->market(this->bob_, Side::kSell, nullptr, "9000"));
  EXPECT_EQ(p.order.status, OrderStatus::kFilled);
  EXPECT_EQ(p.order.executed_qty, u("0.15084"));
  EXPECT_EQ(p.order.cumm_quote_qty, u("8999.56"));
  EXPECT_EQ(this->balance(this->bob_, "BTC"), (ledger::UserBalance{"BTC", u("0.84916"), 0}));
  EXPECT_EQ(this->balance(this->bob_, "USDT"), (ledger::UserBalance{"USDT", u("8990.56044"), 0}));
  // A seller whose free balance cannot cover the bound is refused.
  this->fund(this->carol_, "BTC", u("0.01"));
  this->expect_error(
      this->trading_->place(this->market(this->carol_, Side::kSell, nullptr, "1000")), -2010);
  EXPECT_EQ(this->free_of(this->carol_, "BTC"), u("0.01"));
}

TYPED_TEST(TradingTest, MarketSellByQuantity) {
  this->fund(this->alice_, "USDT", u("20000"));
  this->fund(this->bob_, "BTC", u("1"));
  this->place_ok(this->buy(this->alice_, "60000", "0.1"));
  auto p = this->place_ok(this->market(this->bob_, Side::kSell, "0.1", nullptr));
  EXPECT_EQ(p.order.status, OrderStatus::kFilled);
  EXPECT_EQ(this->balance(this->bob_, "USDT"), (ledger::UserBalance{"USDT", u("5994"), 0}));
  // The last price is now 60000: a MARKET quantity worth less than 5 USDT fails NOTIONAL.
  this->expect_error(
      this->trading_->place(this->market(this->bob_, Side::kSell, "0.00005", nullptr)), -1013,
      "Filter failure: NOTIONAL");
}

TYPED_TEST(TradingTest, SelfTradePrevention) {
  this->fund(this->alice_, "USDT", u("10000"));
  this->fund(this->alice_, "BTC", u("1"));
  auto maker = this->place_ok(this->sell(this->alice_, "60000", "0.1"));
  // The default, EXPIRE_MAKER: the resting order expires and returns its hold; the taker rests.
  auto taker = this->place_ok(this->buy(this->alice_, "60000", "0.1"));
  EXPECT_TRUE(taker.fills.empty());
  EXPECT_EQ(taker.order.status, OrderStatus::kNew);
  auto expired = this->trading_->order(this->alice_, "BTCUSDT", maker.order.order_id, "");
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(expired->status, OrderStatus::kExpiredInMatch);
  EXPECT_EQ(this->balance(this->alice_, "BTC"), (ledger::UserBalance{"BTC", u("1"), 0}));
  // NONE: the user trades with themselves and pays both fees.
  auto self = this->sell(this->alice_, "60000", "0.1");
  self.stp = SelfTradePrevention::kNone;
  auto p = this->place_ok(self);
  EXPECT_EQ(p.order.status, OrderStatus::kFilled);
  EXPECT_EQ(this->balance(this->alice_, "BTC"), (ledger::UserBalance{"BTC", u("0.9999"), 0}));
  EXPECT_EQ(this->balance(this->alice_, "USDT"), (ledger::UserBalance{"USDT", u("9994"), 0}));
  TradeQuery q;
  q.symbol = "BTCUSDT";
  EXPECT_EQ(this->trading_->my_trades(this->alice_, q).size(), 2u);  // one trade, both sides
}

TYPED_TEST(TradingTest, TradeQueries) {
  this->fund(this->alice_, "USDT", u("100000"));
  this->fund(this->bob_, "BTC", u("10"));
  std::vector<int64_t> trade_ids;
  for (int i = 0; i < 5; ++i) {
    this->clock_.advance_ms(1000);
    this->place_ok(this->buy(this->alice_, "60000", "0.01"));
    auto p = this->place_ok(this->sell(this->bob_, "60000", "0.01"));
    ASSERT_EQ(p.fills.size(), 1u);
    trade_ids.push_back(p.fills[0].trade_id);
  }
  TradeQuery q;
  q.symbol = "BTCUSDT";
  q.limit = 2;
  auto newest = this->trading_->my_trades(this->alice_, q);  // the newest two, oldest first
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[0].trade_id, trade_ids[3]);
  EXPECT_EQ(newest[1].trade_id, trade_ids[4]);
  q.from_id = trade_ids[1];
  auto from = this->trading_->my_trades(this->alice_, q);
  ASSERT_EQ(from.size(), 2u);
  EXPECT_EQ(from[0].trade_id, trade_ids[1]);
  q = TradeQuery{};
  q.symbol = "BTCUSDT";
  q.order_id = from[0].order_id;
  auto of_order = this->trading_->my_trades(this->alice_, q);
  ASSERT_EQ(of_order.size(), 1u);
  EXPECT_EQ(of_order[0].trade_id, trade_ids[1]);
  q = TradeQuery{};
  q.symbol = "BTCUSDT";
  q.start_ms = newest[0].time_ms;
  q.end_ms = newest[0].time_ms;
  auto window = this->trading_->my_trades(this->bob_, q);
  ASSERT_EQ(window.size(), 1u);
  EXPECT_EQ(window[0].trade_id, trade_ids[3]);
}

}  // namespace
}  // namespace kg::trading
