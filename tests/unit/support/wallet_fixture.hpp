#pragma once
// A wallet on a real engine and store (SQLite, and PostgreSQL when KEYGATE_TEST_PG_URL is set)
// with a manual clock and two users, for the wallet's test suites. A suite gives its exchange and
// its settings; every test ends with a reconciliation of the journal.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "engine/engine.hpp"
#include "ledger/entries.hpp"
#include "store/store.hpp"
#include "wallet/wallet.hpp"

namespace kg::test {

template <typename Backend>
class WalletFixture : public ::testing::Test {
 protected:
  virtual ExchangeSpec exchange_spec() const = 0;
  virtual void configure(wallet::WalletConfig&) const {}
  // Called on each new engine before it starts (set_commit_listener must be set then).
  virtual void before_start(engine::Engine&) {}

  void SetUp() override {
    if (auto why = Backend::skip_reason()) GTEST_SKIP() << *why;
    backend_ = std::make_unique<Backend>();
    store_ = std::make_unique<store::Store>(backend_->open());
    store_->migrate();
    exchange_ = exchange_spec();
    configure(config_);
    alice_ = add_user("alice@example.com");
    bob_ = add_user("bob@example.com");
    start();
  }
  void TearDown() override {
    if (wallet_) {
      const wallet::Verification v = wallet_->verify();
      EXPECT_EQ(v.mismatch, std::nullopt) << *v.mismatch;
    }
    wallet_.reset();
    engine_.reset();
    store_.reset();
    backend_.reset();
  }

  void start() {
    engine_ = std::make_unique<engine::Engine>(*store_, clock_);
    engine_->recover();
    wallet_ = std::make_unique<wallet::Wallet>(*engine_, *store_, exchange_, config_, clock_);
    wallet_->load();
    before_start(*engine_);
    engine_->start();
  }
  void restart() {
    engine_->stop();
    wallet_.reset();
    engine_.reset();
    start();
  }

  int64_t add_user(const std::string& email) {
    return store_->tx([&](store::Db& db) {
      return db
          .query_one("INSERT INTO users (email, password_hash, created_at, updated_at) VALUES (?, 'x', 0, 0) RETURNING id",
                     {email})
          ->int64(0);
    });
  }
  // Money in, straight through the ledger.
  void fund(int64_t user, const std::string& asset, int64_t amount) {
    const std::string txid = "fund-" + std::to_string(++funded_);
    auto s = engine_->submit<Status>([=](engine::Batch& b) {
      return b.post(ledger::deposit(0, 0, user, asset, amount, txid));
    }).get();
    ASSERT_TRUE(s.ok()) << s.error().msg;
  }
  int64_t free_of(int64_t user, const std::string& asset) {
    for (const auto& b : wallet_->balances(user)) {
      if (b.asset == asset) return b.free;
    }
    ADD_FAILURE() << "no balance line for " << asset;
    return -1;
  }
  uint64_t state_hash() { return wallet_->verify().state_hash; }

  template <typename T>
  static void expect_error(const Result<T>& r, int code) {
    ASSERT_FALSE(r.ok()) << "expected error " << code;
    EXPECT_EQ(r.error().code, code) << r.error().msg;
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{1'700'000'000'000};
  ExchangeSpec exchange_;
  wallet::WalletConfig config_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<wallet::Wallet> wallet_;
  int64_t alice_ = 0, bob_ = 0;
  int funded_ = 0;
};

}  // namespace kg::test
