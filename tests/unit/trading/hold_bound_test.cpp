// The MARKET hold bounds against brute force: the bound is never below what the matcher really
// spends, over random books (matching::OrderBook, the real matcher) and random orders.

#include "trading/hold_bound.hpp"

#include <gtest/gtest.h>

#include <random>

#include "matching/order_book.hpp"

namespace kg::trading {
namespace {

using matching::Event;
using matching::EventType;
using matching::kOne;
using matching::Level;

TEST(HoldBound, BuyCostIsTheWalkOfTheLevels) {
  const std::vector<Level> asks{{60000 * kOne, kOne / 10, 1}, {61000 * kOne, kOne / 10, 2}};
  EXPECT_EQ(buy_cost_bound(asks, kOne * 15 / 100, false), 9050 * kOne);
  EXPECT_EQ(buy_cost_bound(asks, kOne, false), std::nullopt);  // more levels needed
  EXPECT_EQ(buy_cost_bound(asks, kOne, true), 12100 * kOne);   // the whole book
  EXPECT_EQ(buy_cost_bound({}, kOne, true), 0);
}

TEST(HoldBound, SellBaseBoundsTheMatcher) {
  const std::vector<Level> bids{{60000 * kOne, kOne / 10, 1}, {59000 * kOne, kOne / 10, 1}};
  EXPECT_EQ(sell_base_bound(bids, 9000 * kOne, true), 15084745);
  EXPECT_EQ(sell_base_bound(bids, 100000 * kOne, false), std::nullopt);
  EXPECT_EQ(sell_base_bound(bids, 100000 * kOne, true), kOne / 5);
}

// Random books and orders: what the real book takes never exceeds the bound.
TEST(HoldBound, NeverBelowWhatTheMatcherSpends) {
  std::mt19937_64 rng(7);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const int64_t step = 1000;
  for (int round = 0; round < 2000; ++round) {
    matching::OrderBook book(step);
    const matching::Side maker_side =
        pick(0, 1) == 0 ? matching::Side::kBuy : matching::Side::kSell;
    int64_t id = 1;
    for (int i = pick(0, 12); i > 0; --i) {
      matching::Order o;
      o.id = id++;
      o.owner = id;
      o.side = maker_side;
      o.price = pick(1, 50) * 333'333 + pick(0, 1) * 7;
      o.quantity = pick(1, 3000) * step;
      book.add(o);
    }
    matching::Order taker;
    taker.id = id;
    taker.owner = 0;
    taker.type = matching::OrderType::kMarket;
    taker.side = maker_side == matching::Side::kBuy ? matching::Side::kSell : matching::Side::kBuy;
    const bool buy = taker.side == matching::Side::kBuy;
    if (buy) {
      taker.quantity = pick(1, 20000) * step;
    } else {
      taker.quote_quantity = pick(1, 2'000'000);
    }
    const auto levels = book.depth(maker_side, 1'000'000);
    const auto bound = buy ? buy_cost_bound(levels, taker.quantity, true)
                           : sell_base_bound(levels, taker.quote_quantity, true);
    ASSERT_TRUE(bound.has_value());
    int64_t spent = 0;
    for (const Event& e : book.add(taker)) {
      if (e.type == EventType::kTrade) spent += buy ? e.quote_quantity : e.quantity;
    }
    ASSERT_LE(spent, *bound) << "round " << round;
  }
}

}  // namespace
}  // namespace kg::trading
