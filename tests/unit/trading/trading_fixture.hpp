#pragma once
// Trading on a real engine and store (SQLite, and PostgreSQL when KEYGATE_TEST_PG_URL is set) with
// a manual clock, a BTCUSDT market with the demo's filters and three users. Every test ends with
// the journal reconciled (Wallet::verify) and every locked balance equal to what open orders hold.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/decimal.hpp"
#include "engine/engine.hpp"
#include "ledger/entries.hpp"
#include "store/store.hpp"
#include "support/backends.hpp"
#include "trading/trading.hpp"
#include "wallet/wallet.hpp"

namespace kg::test {

// "60000.5" -> units of 10^-8.
inline int64_t u(const char* text) {
  return *parse_decimal(text, kAmountScale);
}

inline ExchangeSpec trading_exchange() {
  ExchangeSpec ex;
  for (const char* name : {"BTC", "USDT"}) ex.assets.push_back(Asset{name, name, {}});
  Market m;
  m.symbol = "BTCUSDT";
  m.base = "BTC";
  m.quote = "USDT";
  m.tick_size = m.min_price = u("0.01");
  m.max_price = u("1000000");
  m.step_size = m.min_qty = u("0.00001");
  m.max_qty = u("9000");
  m.market_max_qty = u("100");
  m.min_notional = u("5");
  m.max_notional = u("9000000");
  ex.markets.push_back(m);
  return ex;
}

template <typename Backend>
class TradingFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = Backend::skip_reason()) GTEST_SKIP() << *why;
    backend_ = std::make_unique<Backend>();
    store_ = std::make_unique<store::Store>(backend_->open());
    store_->migrate();
    exchange_ = trading_exchange();
    alice_ = add_user("alice@example.com");
    bob_ = add_user("bob@example.com");
    carol_ = add_user("carol@example.com");
    start();
  }
  void TearDown() override {
    if (trading_) {
      EXPECT_EQ(trading_->check_holds(), std::nullopt);
      const wallet::Verification v = wallet_->verify();
      EXPECT_EQ(v.mismatch, std::nullopt) << *v.mismatch;
    }
    stop();
    store_.reset();
    backend_.reset();
  }

  void start() {
    engine_ = std::make_unique<engine::Engine>(*store_, clock_);
    engine_->recover();
    wallet_ =
        std::make_unique<wallet::Wallet>(*engine_, *store_, exchange_, wallet_config_, clock_);
    wallet_->load();
    trading_ = std::make_unique<trading::Trading>(*engine_, *store_, exchange_, config_, clock_);
    trading_->load();
    engine_->start();
  }
  void stop() {
    if (engine_) engine_->stop();
    trading_.reset();
    wallet_.reset();
    engine_.reset();
  }
  void restart() {
    stop();
    start();
  }

  int64_t add_user(const std::string& email) {
    return store_->tx([&](store::Db& db) {
      return db
          .query_one(
              "INSERT INTO users (email, password_hash, created_at, updated_at) VALUES (?, 'x', 0, "
              "0) RETURNING id",
              {email})
          ->int64(0);
    });
  }
  void fund(int64_t user, const std::string& asset, int64_t amount) {
    const std::string txid = "fund-" + std::to_string(++funded_);
    auto s = engine_
                 ->submit<Status>([=](engine::Batch& b) {
                   return b.post(ledger::deposit(0, 0, user, asset, amount, txid));
                 })
                 .get();
    ASSERT_TRUE(s.ok()) << s.error().msg;
  }
  ledger::UserBalance balance(int64_t user, const std::string& asset) {
    for (const auto& b : wallet_->balances(user)) {
      if (b.asset == asset) return b;
    }
    return {asset, 0, 0};
  }
  int64_t free_of(int64_t user, const std::string& asset) { return balance(user, asset).free; }
  int64_t locked_of(int64_t user, const std::string& asset) { return balance(user, asset).locked; }
  int64_t fees_of(const std::string& asset) {
    return engine_
        ->submit<int64_t>([asset](engine::Batch& b) {
          return b.ledger().balance(ledger::AccountRef::fees(), asset);
        })
        .get();
  }

  trading::OrderRequest limit(int64_t user, trading::Side side, const char* price, const char* qty,
                              trading::TimeInForce tif = trading::TimeInForce::kGtc) {
    trading::OrderRequest r;
    r.user_id = user;
    r.symbol = "BTCUSDT";
    r.side = side;
    r.type = trading::OrderType::kLimit;
    r.tif = tif;
    r.price = u(price);
    r.quantity = u(qty);
    r.client_order_id = "c" + std::to_string(++client_ids_);
    return r;
  }
  trading::OrderRequest buy(int64_t user, const char* price, const char* qty) {
    return limit(user, trading::Side::kBuy, price, qty);
  }
  trading::OrderRequest sell(int64_t user, const char* price, const char* qty) {
    return limit(user, trading::Side::kSell, price, qty);
  }
  trading::OrderRequest market(int64_t user, trading::Side side, const char* qty,
                               const char* quote) {
    trading::OrderRequest r;
    r.user_id = user;
    r.symbol = "BTCUSDT";
    r.side = side;
    r.type = trading::OrderType::kMarket;
    r.quantity = qty ? u(qty) : 0;
    r.quote_quantity = quote ? u(quote) : 0;
    r.client_order_id = "m" + std::to_string(++client_ids_);
    return r;
  }
  trading::Placed place_ok(const trading::OrderRequest& r) {
    auto p = trading_->place(r);
    EXPECT_TRUE(p.ok()) << p.error().msg;
    return p.ok() ? *p : trading::Placed{};
  }

  template <typename T>
  static void expect_error(const Result<T>& r, int code, const std::string& msg = "") {
    ASSERT_FALSE(r.ok()) << "expected error " << code;
    EXPECT_EQ(r.error().code, code) << r.error().msg;
    if (!msg.empty()) {
      EXPECT_EQ(r.error().msg, msg);
    }
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{1'700'000'000'000};
  ExchangeSpec exchange_;
  wallet::WalletConfig wallet_config_;
  trading::TradingConfig config_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<wallet::Wallet> wallet_;
  std::unique_ptr<trading::Trading> trading_;
  int64_t alice_ = 0, bob_ = 0, carol_ = 0;
  int funded_ = 0;
  int client_ids_ = 0;
};

}  // namespace kg::test
