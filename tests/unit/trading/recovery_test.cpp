// Restarts rebuild the books from the stored open orders with the same time priority and state
// hash; 32 threads racing for one balance never hold more than it; a seeded random flow keeps
// every invariant and survives a restart mid-way.

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "trading/trading_fixture.hpp"

namespace kg::trading {
namespace {

using test::Backends;
using test::u;

template <typename Backend>
class TradingRecoveryTest : public test::TradingFixture<Backend> {};
TYPED_TEST_SUITE(TradingRecoveryTest, Backends);

TYPED_TEST(TradingRecoveryTest, RestartKeepsBooksPriorityAndHash) {
  this->fund(this->alice_, "USDT", u("20000"));
  this->fund(this->bob_, "USDT", u("20000"));
  this->fund(this->carol_, "BTC", u("2"));
  auto first = this->place_ok(this->buy(this->alice_, "60000", "0.1"));
  auto second = this->place_ok(this->buy(this->bob_, "60000", "0.1"));
  this->place_ok(this->buy(this->alice_, "59000", "0.2"));
  this->place_ok(this->sell(this->carol_, "61000", "0.3"));
  auto partial =
      this->place_ok(this->sell(this->carol_, "60000", "0.05"));  // fills half of `first`
  ASSERT_EQ(partial.fills.size(), 1u);
  const uint64_t hash = this->trading_->state_hash();
  const uint64_t ledger_hash = this->wallet_->verify().state_hash;
  const auto open_before = this->trading_->open_orders(this->alice_, "");
  const int64_t last_trade = partial.fills[0].trade_id;

  this->restart();
  EXPECT_EQ(this->trading_->state_hash(), hash);
  EXPECT_EQ(this->wallet_->verify().state_hash, ledger_hash);
  EXPECT_EQ(this->trading_->check_holds(), std::nullopt);
  const auto open_after = this->trading_->open_orders(this->alice_, "");
  ASSERT_EQ(open_after.size(), open_before.size());
  for (size_t i = 0; i < open_after.size(); ++i) {
    EXPECT_EQ(open_after[i].order_id, open_before[i].order_id);
    EXPECT_EQ(open_after[i].executed_qty, open_before[i].executed_qty);
    EXPECT_EQ(open_after[i].held, open_before[i].held);
  }
  // The client id of an open order is still taken.
  auto dup = this->buy(this->alice_, "1000", "0.01");
  dup.client_order_id = first.order.client_order_id;
  this->expect_error(this->trading_->place(dup), -2010, "Duplicate order sent.");

  // Time priority survived: the rest of `first` fills before `second` at the same price.
  auto p = this->place_ok(this->sell(this->carol_, "60000", "0.1"));
  ASSERT_EQ(p.fills.size(), 2u);
  EXPECT_GT(p.order.order_id, partial.order.order_id);  // ids carry on
  EXPECT_EQ(p.fills[0].trade_id, last_trade + 1);
  EXPECT_EQ(p.fills[0].qty, u("0.05"));
  EXPECT_EQ(p.fills[1].qty, u("0.05"));
  TradeQuery q;
  q.symbol = "BTCUSDT";
  q.from_id = p.fills[0].trade_id;
  auto alice_trades = this->trading_->my_trades(this->alice_, q);
  ASSERT_EQ(alice_trades.size(), 1u);
  EXPECT_EQ(alice_trades[0].order_id, first.order.order_id);
  auto bob_trades = this->trading_->my_trades(this->bob_, q);
  ASSERT_EQ(bob_trades.size(), 1u);
  EXPECT_EQ(bob_trades[0].order_id, second.order.order_id);
  auto done = this->trading_->order(this->alice_, "BTCUSDT", first.order.order_id, "");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, OrderStatus::kFilled);
}

TYPED_TEST(TradingRecoveryTest, ThirtyTwoThreadsNeverHoldMoreThanTheBalance) {
  this->fund(this->alice_, "USDT", u("1000"));
  this->fund(this->bob_, "BTC", u("0.001"));
  std::atomic<int> placed{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&, t] {
      // Each BUY holds 100 USDT: ten fit. Each SELL holds 0.0001 BTC: ten fit.
      auto r = t % 2 == 0 ? this->buy(this->alice_, "100", "1")
                          : this->sell(this->bob_, "1000000", "0.0001");
      r.client_order_id = "race-" + std::to_string(t);
      for (int i = 0; i < 2; ++i) {
        r.client_order_id = "race-" + std::to_string(t) + "-" + std::to_string(i);
        auto p = this->trading_->place(r);
        if (p.ok()) {
          ++placed;
        } else if (p.error().code == -2010) {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(placed.load(), 20);
  EXPECT_EQ(refused.load(), 44);
  EXPECT_EQ(this->balance(this->alice_, "USDT"), (ledger::UserBalance{"USDT", 0, u("1000")}));
  EXPECT_EQ(this->balance(this->bob_, "BTC"), (ledger::UserBalance{"BTC", 0, u("0.001")}));
}

TYPED_TEST(TradingRecoveryTest, ThirtyTwoThreadsWithOneClientOrderIdPlaceOneOrder) {
  this->fund(this->alice_, "USDT", u("100000"));
  std::atomic<int> placed{0}, duplicate{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&] {
      auto r = this->buy(this->alice_, "100", "1");
      r.client_order_id = "same";
      auto p = this->trading_->place(r);
      if (p.ok()) ++placed;
      if (!p.ok() && p.error().msg == "Duplicate order sent.") ++duplicate;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(placed.load(), 1);
  EXPECT_EQ(duplicate.load(), 31);
  EXPECT_EQ(this->locked_of(this->alice_, "USDT"), u("100"));
}

// Random flow among three users: limit orders of every time in force, LIMIT_MAKER, MARKET by
// quantity and by quote, cancels; a restart half-way must keep the hash; every invariant holds
// at the end (TearDown: holds equal locked balances, the journal reconciles).
TYPED_TEST(TradingRecoveryTest, SeededRandomFlowKeepsEveryInvariant) {
  const int64_t users[] = {this->alice_, this->bob_, this->carol_};
  for (int64_t user : users) {
    this->fund(user, "USDT", u("100000"));
    this->fund(user, "BTC", u("2"));
  }
  std::mt19937_64 rng(20240605);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  std::vector<std::pair<int64_t, int64_t>> placed;  // (user, order id)
  int ok = 0, fills = 0;
  for (int op = 0; op < 300; ++op) {
    this->clock_.advance_ms(7);
    if (op == 150) {
      const uint64_t hash = this->trading_->state_hash();
      this->restart();
      ASSERT_EQ(this->trading_->state_hash(), hash);
      ASSERT_EQ(this->trading_->check_holds(), std::nullopt);
    }
    const int64_t user = users[pick(0, 2)];
    const int kind = static_cast<int>(pick(0, 9));
    if (kind <= 1 && !placed.empty()) {
      const auto [owner, id] =
          placed[static_cast<size_t>(pick(0, static_cast<int64_t>(placed.size()) - 1))];
      (void)this->trading_->cancel(owner, "BTCUSDT", id, "");  // may be done already: -2011
      continue;
    }
    OrderRequest r;
    const Side side = pick(0, 1) == 0 ? Side::kBuy : Side::kSell;
    const int64_t price = u("59900") + pick(0, 20) * u("10");
    const int64_t qty = pick(1, 500) * u("0.0001");
    if (kind <= 6) {
      r = this->limit(user, side, "1", "1");
      r.price = price;
      r.quantity = qty;
      r.tif = static_cast<TimeInForce>(pick(0, 2));
      if (kind == 6) r.type = OrderType::kLimitMaker, r.tif = TimeInForce::kGtc;
    } else if (kind <= 8) {
      r = this->market(user, side, "1", nullptr);
      r.quantity = qty;
    } else {
      r = this->market(user, side, nullptr, "1");
      r.quote_quantity = pick(10, 3000) * u("1");
    }
    r.stp = static_cast<SelfTradePrevention>(pick(0, 3));
    auto p = this->trading_->place(r);
    if (!p.ok()) {
      const int code = p.error().code;
      EXPECT_TRUE(code == -2010 || code == -1013) << p.error().msg;
      continue;
    }
    ++ok;
    fills += static_cast<int>(p->fills.size());
    if (p->order.open()) placed.emplace_back(user, p->order.order_id);
  }
  EXPECT_GT(ok, 150);
  EXPECT_GT(fills, 30);
  // Every fee went to the fee account, and nothing else left the users.
  int64_t btc = 0, usdt = 0;
  for (int64_t user : users) {
    btc += this->free_of(user, "BTC") + this->locked_of(user, "BTC");
    usdt += this->free_of(user, "USDT") + this->locked_of(user, "USDT");
  }
  EXPECT_EQ(btc + this->fees_of("BTC"), u("6"));
  EXPECT_EQ(usdt + this->fees_of("USDT"), u("300000"));
}

}  // namespace
}  // namespace kg::trading
