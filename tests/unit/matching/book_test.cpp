// Every rule of the book, by hand, run against both OrderBook and ReferenceBook.

#include <gtest/gtest.h>

#include "matching/book_helpers.hpp"
#include "matching/order_book.hpp"
#include "matching/reference_book.hpp"

namespace kg::matching {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)
using Stp = SelfTradePrevention;
constexpr Side kBuy = Side::kBuy;
constexpr Side kSell = Side::kSell;
constexpr TimeInForce kIoc = TimeInForce::kIoc;
constexpr TimeInForce kFok = TimeInForce::kFok;

template <typename Book>
class BookTest : public ::testing::Test {
 protected:
  // Adds and returns the events as text.
  std::string add(const Order& o) { return text(book_.add(o)); }
  std::string cancel(int64_t id) { return text(book_.cancel(id)); }
  std::string bids(size_t n = 10) const { return text(book_.depth(kBuy, n)); }
  std::string asks(size_t n = 10) const { return text(book_.depth(kSell, n)); }

  Book book_{1};
};

using Books = ::testing::Types<OrderBook, ReferenceBook>;
TYPED_TEST_SUITE(BookTest, Books);

TYPED_TEST(BookTest, StartsEmpty) {
  EXPECT_EQ(this->book_.best_bid(), std::nullopt);
  EXPECT_EQ(this->book_.best_ask(), std::nullopt);
  EXPECT_EQ(this->bids(), "");
  EXPECT_EQ(this->book_.size(), 0u);
  EXPECT_EQ(this->book_.find(1), std::nullopt);
  Events out;
  EXPECT_FALSE(this->book_.cancel(1, out));
  EXPECT_TRUE(out.empty());
}

TYPED_TEST(BookTest, RestsWhatDoesNotCross) {
  EXPECT_EQ(this->add(buy(1, 99, 2)), "A1, R1 NEW 2");
  EXPECT_EQ(this->add(sell(2, 101, 3)), "A2, R2 NEW 3");
  EXPECT_EQ(this->book_.best_bid(), units(99));
  EXPECT_EQ(this->book_.best_ask(), units(101));
  EXPECT_EQ(this->book_.size(), 2u);
  auto open = this->book_.find(1);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->order, buy(1, 99, 2));
  EXPECT_EQ(open->remaining, units(2));
}

TYPED_TEST(BookTest, BestPriceFirstAtTheMakersPrice) {
  this->add(sell(1, 101, 1));
  this->add(sell(2, 100, 1));
  this->add(sell(3, 102, 1));
  EXPECT_EQ(this->add(buy(4, 105, 3)),
            "A4, T4x2 1@100, D2 FILLED, T4x1 1@101, D1 FILLED, T4x3 1@102, D3 FILLED, D4 FILLED");
  EXPECT_EQ(this->asks(), "");
}

TYPED_TEST(BookTest, HighestBidFirstForASeller) {
  this->add(buy(1, 99, 1));
  this->add(buy(2, 100, 1));
  this->add(buy(3, 98, 1));
  EXPECT_EQ(this->add(sell(4, 99, 3)),
            "A4, T4x2 1@100, D2 FILLED, T4x1 1@99, D1 FILLED, R4 PARTIALLY_FILLED 1");
  EXPECT_EQ(this->bids(), "1@98/1");
  EXPECT_EQ(this->asks(), "1@99/1");
}

TYPED_TEST(BookTest, EarliestFirstWithinAPrice) {
  this->add(sell(1, 100, 1));
  this->add(sell(2, 100, 1));
  this->add(sell(3, 100, 1));
  EXPECT_EQ(this->add(buy(4, 100, 1.5)), "A4, T4x1 1@100, D1 FILLED, T4x2 0.5@100, D4 FILLED");
  EXPECT_EQ(this->book_.find(2)->remaining, units(0.5));
  // A partially filled maker keeps its place.
  EXPECT_EQ(this->add(buy(5, 100, 1)), "A5, T5x2 0.5@100, D2 FILLED, T5x3 0.5@100, D5 FILLED");
}

TYPED_TEST(BookTest, PartialFillsOnBothSides) {
  this->add(sell(1, 100, 5));
  EXPECT_EQ(this->add(buy(2, 100, 3)), "A2, T2x1 3@100, D2 FILLED");
  EXPECT_EQ(this->asks(), "2@100/1");
  EXPECT_EQ(this->add(buy(3, 100, 4)), "A3, T3x1 2@100, D1 FILLED, R3 PARTIALLY_FILLED 2");
  EXPECT_EQ(this->bids(), "2@100/1");
  EXPECT_EQ(this->asks(), "");
  EXPECT_EQ(this->book_.find(3)->remaining, units(2));
}

TYPED_TEST(BookTest, TradeCarriesOwnersAndAnExactQuote) {
  this->add(sell(1, 1.23456789, 3));
  auto events = this->book_.add(buy(2, 2, 0.00000003));
  ASSERT_EQ(events.size(), 3u);
  const Event& t = events[1];
  EXPECT_EQ(t.type, EventType::kTrade);
  EXPECT_EQ(t.side, kBuy);
  EXPECT_EQ(t.owner, 1002);
  EXPECT_EQ(t.maker_owner, 1001);
  EXPECT_EQ(t.price, 123456789);
  EXPECT_EQ(t.quantity, 3);
  EXPECT_EQ(t.quote_quantity, 3);  // 3.70370367 units, rounded down
}

TYPED_TEST(BookTest, IocExpiresWhatItCannotFill) {
  this->add(sell(1, 100, 1));
  this->add(sell(2, 102, 1));
  EXPECT_EQ(this->add(buy(3, 101, 3, kIoc)), "A3, T3x1 1@100, D1 FILLED, D3 EXPIRED 2");
  EXPECT_EQ(this->bids(), "");
  EXPECT_EQ(this->add(buy(4, 99, 1, kIoc)), "A4, D4 EXPIRED 1");
  EXPECT_EQ(this->add(sell(5, 102, 1, kIoc)), "A5, D5 EXPIRED 1");
  EXPECT_EQ(this->asks(), "1@102/1");
}

TYPED_TEST(BookTest, FokFillsWholeOrTouchesNothing) {
  this->add(sell(1, 100, 1));
  this->add(sell(2, 101, 1));
  this->add(sell(3, 102, 1));
  // Not enough within its price: nothing happens.
  EXPECT_EQ(this->add(buy(4, 101, 2.5, kFok)), "A4, D4 EXPIRED 2.5");
  EXPECT_EQ(this->asks(), "1@100/1, 1@101/1, 1@102/1");
  EXPECT_EQ(this->add(buy(5, 110, 3.5, kFok)), "A5, D5 EXPIRED 3.5");
  // Exactly enough, across levels.
  EXPECT_EQ(this->add(buy(6, 101, 2, kFok)),
            "A6, T6x1 1@100, D1 FILLED, T6x2 1@101, D2 FILLED, D6 FILLED");
  EXPECT_EQ(this->add(sell(7, 50, 1, kFok)), "A7, D7 EXPIRED 1");
  EXPECT_EQ(this->asks(), "1@102/1");
}

TYPED_TEST(BookTest, LimitMakerRestsOrIsRejected) {
  this->add(sell(1, 100, 1));
  EXPECT_EQ(this->add(maker_only(buy(2, 99, 1))), "A2, R2 NEW 1");
  EXPECT_EQ(this->add(maker_only(buy(3, 100, 1))), "A3, D3 REJECTED 1");
  EXPECT_EQ(this->add(maker_only(sell(4, 99, 1))), "A4, D4 REJECTED 1");
  EXPECT_EQ(this->add(maker_only(sell(5, 99.5, 1))), "A5, R5 NEW 1");
  EXPECT_EQ(this->bids(), "1@99/1");
  EXPECT_EQ(this->asks(), "1@99.5/1, 1@100/1");
}

TYPED_TEST(BookTest, MarketByQuantitySweepsAndExpiresTheRest) {
  this->add(sell(1, 100, 1));
  this->add(sell(2, 1000, 1));
  EXPECT_EQ(this->add(market(3, kBuy, 1.5)), "A3, T3x1 1@100, D1 FILLED, T3x2 0.5@1000, D3 FILLED");
  EXPECT_EQ(this->add(market(4, kBuy, 2)), "A4, T4x2 0.5@1000, D2 FILLED, D4 EXPIRED 1.5");
  EXPECT_EQ(this->add(market(5, kSell, 1)), "A5, D5 EXPIRED 1");
  EXPECT_EQ(this->book_.size(), 0u);
}

TYPED_TEST(BookTest, MarketBuyByQuoteSpendsItsQuote) {
  this->add(sell(1, 100, 1));
  this->add(sell(2, 200, 1));
  // 100 at 100 (1 base), then 100 more at 200 (0.5 base): spent exactly.
  auto events = this->book_.add(market_quote(3, kBuy, 200));
  EXPECT_EQ(text(events), "A3, T3x1 1@100, D1 FILLED, T3x2 0.5@200, D3 FILLED");
  EXPECT_EQ(events[1].quote_quantity, units(100));
  EXPECT_EQ(events[3].quote_quantity, units(100));
  EXPECT_EQ(events.back().quote_quantity, 0);
  // The book runs out with quote left: EXPIRED, the rest unspent.
  EXPECT_EQ(this->add(market_quote(4, kBuy, 250)), "A4, T4x2 0.5@200, D2 FILLED, D4 EXPIRED q=150");
}

TYPED_TEST(BookTest, MarketByQuoteTakesWholeStepsAndStopsOnDust) {
  TypeParam book(units(0.01));  // LOT_SIZE stepSize 0.01
  book.add(sell(1, 3, 10));
  // 1 quote buys 0.333... base: 0.33 (0.99 quote); the 0.01 left buys less than a step: FILLED.
  Events events = book.add(market_quote(2, kBuy, 1));
  EXPECT_EQ(text(events), "A2, T2x1 0.33@3, D2 FILLED q=0.01");
  EXPECT_EQ(events[1].quote_quantity, units(0.99));
  // Less than one step's worth from the start: FILLED with nothing traded, all unspent.
  EXPECT_EQ(text(book.add(market_quote(3, kBuy, 0.02))), "A3, D3 FILLED q=0.02");
  EXPECT_EQ(book.find(1)->remaining, units(9.67));
}

TYPED_TEST(BookTest, MarketSellByQuoteReceivesUpToItsQuote) {
  TypeParam book(units(0.1));
  book.add(buy(1, 10, 1));
  book.add(buy(2, 8, 5));
  // 10 from the first bid (1 base), then 8 * 0.6 = 4.8 of the 5 left; 0.2 is less than 0.1 * 8.
  EXPECT_EQ(text(book.add(market_quote(3, kSell, 15))),
            "A3, T3x1 1@10, D1 FILLED, T3x2 0.6@8, D3 FILLED q=0.2");
}

TYPED_TEST(BookTest, SelfTradeNoneTradesWithItself) {
  this->add(owned(sell(1, 100, 1), 7));
  EXPECT_EQ(this->add(owned(buy(2, 100, 1), 7, Stp::kNone)),
            "A2, T2x1 1@100, D1 FILLED, D2 FILLED");
}

TYPED_TEST(BookTest, SelfTradeExpireTaker) {
  this->add(owned(sell(1, 100, 1), 8));
  this->add(owned(sell(2, 101, 1), 7));
  this->add(owned(sell(3, 102, 1), 8));
  // Trades with someone else, then meets its own order and expires; its own order stays.
  EXPECT_EQ(this->add(owned(buy(4, 102, 3), 7, Stp::kExpireTaker)),
            "A4, T4x1 1@100, D1 FILLED, D4 EXPIRED_IN_MATCH 2");
  EXPECT_EQ(this->asks(), "1@101/1, 1@102/1");
  EXPECT_EQ(this->bids(), "");  // a GTC taker expired in match does not rest
}

TYPED_TEST(BookTest, SelfTradeExpireMakerGoesOn) {
  this->add(owned(sell(1, 100, 1), 7));
  this->add(owned(sell(2, 100, 1), 8));
  this->add(owned(sell(3, 101, 1), 7));
  EXPECT_EQ(this->add(owned(buy(4, 101, 2), 7, Stp::kExpireMaker)),
            "A4, D1 EXPIRED_IN_MATCH 1, T4x2 1@100, D2 FILLED, D3 EXPIRED_IN_MATCH 1, R4 "
            "PARTIALLY_FILLED 1");
  EXPECT_EQ(this->asks(), "");
  EXPECT_EQ(this->bids(), "1@101/1");
}

TYPED_TEST(BookTest, SelfTradeExpireBoth) {
  this->add(owned(sell(1, 100, 1), 8));
  this->add(owned(sell(2, 100, 2), 7));
  this->add(owned(sell(3, 100, 1), 8));
  EXPECT_EQ(this->add(owned(market(4, kBuy, 3), 7, Stp::kExpireBoth)),
            "A4, T4x1 1@100, D1 FILLED, D2 EXPIRED_IN_MATCH 2, D4 EXPIRED_IN_MATCH 2");
  EXPECT_EQ(this->asks(), "1@100/1");
}

TYPED_TEST(BookTest, OnlyTheTakersModeCounts) {
  this->add(owned(sell(1, 100, 1), 7, Stp::kExpireBoth));
  EXPECT_EQ(this->add(owned(buy(2, 100, 1), 7)), "A2, T2x1 1@100, D1 FILLED, D2 FILLED");
  this->add(owned(sell(3, 100, 1), 7));
  EXPECT_EQ(this->add(owned(buy(4, 100, 1), 9, Stp::kExpireBoth)),
            "A4, T4x3 1@100, D3 FILLED, D4 FILLED");
}

TYPED_TEST(BookTest, SelfTradePreventionOnlyWhereATradeWouldHappen) {
  this->add(owned(sell(1, 101, 1), 7));
  EXPECT_EQ(this->add(owned(buy(2, 100, 1), 7, Stp::kExpireBoth)), "A2, R2 NEW 1");
  EXPECT_EQ(this->asks(), "1@101/1");
}

TYPED_TEST(BookTest, FokCountsSelfTradePrevention) {
  this->add(owned(sell(1, 100, 1), 8));
  this->add(owned(sell(2, 100, 1), 7));
  this->add(owned(sell(3, 101, 1), 8));
  // EXPIRE_TAKER would stop at order 2 with 1 filled: unfillable, nothing touched.
  EXPECT_EQ(this->add(owned(buy(4, 101, 2, kFok), 7, Stp::kExpireTaker)), "A4, D4 EXPIRED 2");
  EXPECT_EQ(this->add(owned(buy(5, 101, 2, kFok), 7, Stp::kExpireBoth)), "A5, D5 EXPIRED 2");
  // EXPIRE_MAKER does not count order 2: 1 and 3 make 2, not 3, and nothing is touched...
  EXPECT_EQ(this->add(owned(buy(6, 101, 3, kFok), 7, Stp::kExpireMaker)), "A6, D6 EXPIRED 3");
  EXPECT_EQ(this->asks(), "2@100/2, 1@101/1");
  // ...but they fill 2, and order 2 expires on the way.
  EXPECT_EQ(this->add(owned(buy(7, 101, 2, kFok), 7, Stp::kExpireMaker)),
            "A7, T7x1 1@100, D1 FILLED, D2 EXPIRED_IN_MATCH 1, T7x3 1@101, D3 FILLED, D7 FILLED");
}

TYPED_TEST(BookTest, CancelReturnsWhatIsLeft) {
  this->add(sell(1, 100, 1));
  this->add(sell(2, 100, 2));
  this->add(sell(3, 100, 3));
  this->add(buy(4, 100, 0.5));
  EXPECT_EQ(this->cancel(1), "D1 CANCELED 0.5");
  EXPECT_EQ(this->cancel(1), "");
  EXPECT_EQ(this->cancel(4), "");  // filled: not open
  EXPECT_EQ(this->asks(), "5@100/2");
  // Cancelling from the middle keeps the others' order.
  this->add(sell(5, 100, 1));
  EXPECT_EQ(this->cancel(3), "D3 CANCELED 3");
  EXPECT_EQ(this->add(buy(6, 100, 3)),
            "A6, T6x2 2@100, D2 FILLED, T6x5 1@100, D5 FILLED, D6 FILLED");
  EXPECT_EQ(this->book_.size(), 0u);
  // The last order of a level takes the level with it; its id may be used again.
  this->add(buy(7, 99, 1));
  EXPECT_EQ(this->cancel(7), "D7 CANCELED 1");
  EXPECT_EQ(this->bids(), "");
  EXPECT_EQ(this->add(buy(7, 98, 1)), "A7, R7 NEW 1");
}

TYPED_TEST(BookTest, DepthAggregatesBestFirst) {
  this->add(buy(1, 99, 1));
  this->add(buy(2, 100, 2));
  this->add(buy(3, 99, 3));
  this->add(buy(4, 97, 1));
  this->add(sell(5, 103, 1));
  this->add(sell(6, 102, 1));
  this->add(sell(7, 102, 0.5));
  EXPECT_EQ(this->bids(), "2@100/1, 4@99/2, 1@97/1");
  EXPECT_EQ(this->bids(2), "2@100/1, 4@99/2");
  EXPECT_EQ(this->asks(), "1.5@102/2, 1@103/1");
  EXPECT_EQ(this->asks(0), "");
}

TYPED_TEST(BookTest, StopsOnABrokenPrecondition) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  this->add(buy(1, 99, 1));
  EXPECT_DEATH(this->add(buy(1, 98, 1)), "already open");
  EXPECT_DEATH(this->add(buy(0, 98, 1)), "positive");
  EXPECT_DEATH(this->add(market(2, kBuy, 0)), "exactly one");
  TypeParam stepped(units(0.1));
  EXPECT_DEATH(stepped.add(buy(3, 98, 0.15)), "multiple of the step");
}

TEST(OrderBookLevels, LevelAtAnswersOnePrice) {
  OrderBook book(1);
  book.add(buy(1, 99, 2));
  book.add(buy(2, 99, 3));
  book.add(sell(3, 101, 1));
  EXPECT_EQ(book.level_at(kBuy, units(99)), (Level{units(99), units(5), 2}));
  EXPECT_EQ(book.level_at(kSell, units(101)), (Level{units(101), units(1), 1}));
  EXPECT_EQ(book.level_at(kSell, units(99)), (Level{units(99), 0, 0}));  // the other side
  book.cancel(1);
  EXPECT_EQ(book.level_at(kBuy, units(99)).quantity, units(3));
  book.add(sell(4, 99, 3));  // takes the whole level
  EXPECT_EQ(book.level_at(kBuy, units(99)), (Level{units(99), 0, 0}));
}

}  // namespace
}  // namespace kg::matching
