// Withdrawals against a real engine and store (SQLite, and PostgreSQL when KEYGATE_TEST_PG_URL is
// set): amount and fee held at once, the operator's approval above a network's threshold, the
// simulated chain completing them after the delay (manual clock), rejection and failure returning
// exactly what was held, the per-key daily cap over a rolling 24 hours, withdrawOrderId
// idempotency, the history, all of it across a restart, and concurrent requests that cannot
// overdraw. Also the address rules a withdrawal's destination is checked against.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "ledger/entries.hpp"
#include "store/store.hpp"
#include "support/backends.hpp"
#include "support/wallet_fixture.hpp"
#include "wallet/wallet.hpp"

namespace kg::wallet {
namespace {

using test::Backends;

constexpr int64_t kOne = 100'000'000;  // 1.00000000
constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kDelayMs = 30'000;
constexpr int64_t kEthFee = 100'000;    // 0.001 ETH
constexpr int64_t kBtcFee = 50'000;     // 0.0005 BTC
constexpr int64_t kXrpFee = 25'000'000; // 0.25 XRP
constexpr const char* kEthRegex = "^(0x)[0-9A-Fa-f]{40}$";

const std::string kEthAddr = "0x" + std::string(40, 'a');
const std::string kEthAddr2 = "0x" + std::string(40, 'b');
const std::string kBtcAddr = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
const std::string kXrpAddr = "rEb8TK3gBgk5auZkwc6sHnwrGVJH8DuaLh";

ExchangeSpec suite_exchange() {
  ExchangeSpec ex;
  Network eth;
  eth.name = "ETH";
  eth.full_name = "Ethereum (ERC20)";
  eth.is_default = true;
  eth.withdraw_fee = kEthFee;
  eth.withdraw_max = 10'000 * kOne;
  eth.approval_above = 100 * kOne;  // larger withdrawals wait for an operator
  eth.min_confirm = 12;
  eth.address_regex = kEthRegex;
  Network bsc = eth;
  bsc.name = "BSC";
  bsc.full_name = "BNB Smart Chain (BEP20)";
  bsc.is_default = false;
  bsc.withdraw_fee = 0;
  bsc.approval_above = 0;  // none wait
  ex.assets.push_back(Asset{"ETH", "Ethereum", {eth, bsc}});

  Network btc;
  btc.name = "BTC";
  btc.is_default = true;
  btc.withdraw_fee = kBtcFee;
  btc.address_style = "bech32";
  btc.address_regex = "^(bc1|[13])[a-zA-HJ-NP-Z0-9]{25,62}$";
  ex.assets.push_back(Asset{"BTC", "Bitcoin", {btc}});

  Network xrp;
  xrp.name = "XRP";
  xrp.is_default = true;
  xrp.withdraw_fee = kXrpFee;
  xrp.address_style = "tag";
  xrp.shared_address = kXrpAddr;
  xrp.address_regex = "^r[1-9A-HJ-NP-Za-km-z]{24,34}$";
  xrp.memo_regex = "^[0-9A-Za-z\\-_,]{1,120}$";
  ex.assets.push_back(Asset{"XRP", "Ripple", {xrp}});

  // A network without an address pattern: anything goes, up to the length limit.
  Network any;
  any.name = "ANY";
  any.is_default = true;
  ex.assets.push_back(Asset{"FREE", "Anything", {any}});
  return ex;
}

template <typename Backend>
class WithdrawalsTest : public test::WalletFixture<Backend> {
 protected:
  ExchangeSpec exchange_spec() const override { return suite_exchange(); }
  void configure(WalletConfig& c) const override { c.withdraw_delay_ms = kDelayMs; }

  static WithdrawRequest eth_request(int64_t user, int64_t amount, const std::string& order_id = "",
                                     int64_t key_id = 1, int64_t cap = 0) {
    return WithdrawRequest{user, key_id, "ETH", "ETH", kEthAddr, "", amount, order_id, cap};
  }
  Withdrawal withdraw(const WithdrawRequest& r) {
    auto w = wallet_->withdraw(r);
    EXPECT_TRUE(w.ok()) << w.error().msg;
    return w.ok() ? *w : Withdrawal{};
  }

  AssetTotals totals(const std::string& asset) {
    const Verification v = wallet_->verify();
    EXPECT_EQ(v.mismatch, std::nullopt);
    for (const auto& t : v.totals) {
      if (t.asset == asset) return t;
    }
    return AssetTotals{asset};
  }
  int64_t stored_withdrawals() {
    return store_->tx([](store::Db& db) { return db.query_one("SELECT COUNT(*) FROM withdrawals")->int64(0); });
  }
  Withdrawal stored(int64_t user, int64_t id) {
    WithdrawQuery q;
    q.ids = {id};
    auto found = wallet_->withdrawals_of(user, q);
    EXPECT_EQ(found.size(), 1u) << "withdrawal " << id;
    return found.empty() ? Withdrawal{} : found[0];
  }
  std::vector<int64_t> ids_of(int64_t user, const WithdrawQuery& q) {
    std::vector<int64_t> out;
    for (const auto& w : wallet_->withdrawals_of(user, q)) out.push_back(w.id);
    return out;
  }

  using test::WalletFixture<Backend>::wallet_;
  using test::WalletFixture<Backend>::store_;
  using test::WalletFixture<Backend>::engine_;
};

TYPED_TEST_SUITE(WithdrawalsTest, Backends);

// What the engine thread decides is the same whatever the store: these cases run against SQLite
// only, which keeps the executable fast (each PostgreSQL case creates and drops a database). The
// cases above, which depend on what is stored and read back, run against both.
template <typename Backend>
class WithdrawalsSqliteTest : public WithdrawalsTest<Backend> {};
TYPED_TEST_SUITE(WithdrawalsSqliteTest, ::testing::Types<test::SqliteBackend>);

TYPED_TEST(WithdrawalsTest, AmountAndFeeLeaveTheFreeBalanceAtOnce) {
  const int64_t a = this->alice_;
  this->fund(a, "ETH", 10 * kOne);
  const Withdrawal w = this->withdraw(this->eth_request(a, kOne));
  EXPECT_EQ(w.id, 1);
  EXPECT_EQ(w.status, WithdrawStatus::kProcessing);
  EXPECT_EQ(w.fee, kEthFee);
  EXPECT_EQ(w.applied_at, this->clock_.now_ms());
  EXPECT_EQ(w.updated_at, this->clock_.now_ms());
  EXPECT_TRUE(w.txid.empty());
  EXPECT_FALSE(w.replayed);
  EXPECT_EQ(w.request.network, "ETH");
  EXPECT_EQ(this->free_of(a, "ETH"), 9 * kOne - kEthFee);
  const AssetTotals t = this->totals("ETH");
  EXPECT_EQ(t.users_free, 9 * kOne - kEthFee);
  EXPECT_EQ(t.users_locked, 0);
  EXPECT_EQ(t.pending_withdrawal, kOne);
  EXPECT_EQ(t.fees, kEthFee);
  EXPECT_EQ(t.external, -10 * kOne);
  EXPECT_EQ(this->stored_withdrawals(), 1);
  // The default network when none is given; a network without a fee takes none.
  auto dflt = this->wallet_->withdraw({a, 1, "ETH", "", kEthAddr, "", kOne, "", 0});
  ASSERT_TRUE(dflt.ok()) << dflt.error().msg;
  EXPECT_EQ(dflt->request.network, "ETH");
  EXPECT_EQ(dflt->fee, kEthFee);
  auto bsc = this->wallet_->withdraw({a, 1, "ETH", "BSC", kEthAddr, "", kOne, "", 0});
  ASSERT_TRUE(bsc.ok()) << bsc.error().msg;
  EXPECT_EQ(bsc->fee, 0);
  EXPECT_EQ(bsc->id, 3);
  EXPECT_EQ(this->free_of(a, "ETH"), 7 * kOne - 2 * kEthFee);
  EXPECT_EQ(this->totals("ETH").pending_withdrawal, 3 * kOne);
  EXPECT_EQ(this->totals("ETH").fees, 2 * kEthFee);
}

TYPED_TEST(WithdrawalsSqliteTest, WhatCannotBePaidChangesNothing) {
  const int64_t a = this->alice_;
  Wallet& w = *this->wallet_;
  this->fund(a, "ETH", 10 * kOne);
  const uint64_t before = this->state_hash();
  // The fee is on top: the whole balance is not enough.
  this->expect_error(w.withdraw(this->eth_request(a, 10 * kOne)), -2010);
  this->expect_error(w.withdraw(this->eth_request(a, 10 * kOne - kEthFee + 1, "o-1")), -2010);
  this->expect_error(w.withdraw(this->eth_request(this->bob_, kOne)), -2010);
  this->expect_error(w.withdraw({a, 1, "DOGE", "", kEthAddr, "", kOne, "", 0}), -7410);
  this->expect_error(w.withdraw({a, 1, "ETH", "TRX", kEthAddr, "", kOne, "", 0}), -7414);
  this->expect_error(w.withdraw(this->eth_request(a, 0)), -1102);
  this->expect_error(w.withdraw(this->eth_request(a, -kOne)), -1102);
  EXPECT_EQ(this->state_hash(), before);
  EXPECT_EQ(this->stored_withdrawals(), 0);
  EXPECT_EQ(this->free_of(a, "ETH"), 10 * kOne);
  // The refused withdrawOrderId was not used up, and no id was spent.
  const Withdrawal ok = this->withdraw(this->eth_request(a, 10 * kOne - kEthFee, "o-1"));
  EXPECT_EQ(ok.id, 1);
  EXPECT_FALSE(ok.replayed);
  EXPECT_EQ(this->free_of(a, "ETH"), 0);
}

TYPED_TEST(WithdrawalsSqliteTest, TheChainCompletesAProcessingWithdrawalAfterTheDelay) {
  const int64_t a = this->alice_;
  Wallet& w = *this->wallet_;
  this->fund(a, "ETH", 10 * kOne);
  const Withdrawal first = this->withdraw(this->eth_request(a, 2 * kOne));
  const uint64_t before = this->state_hash();
  EXPECT_EQ(w.tick(), 0u);
  this->clock_.advance_ms(kDelayMs - 1);
  EXPECT_EQ(w.tick(), 0u);
  EXPECT_EQ(this->state_hash(), before);
  EXPECT_EQ(this->stored(a, first.id).status, WithdrawStatus::kProcessing);
  ASSERT_EQ(w.open_withdrawals().size(), 1u);

  this->clock_.advance_ms(1);
  EXPECT_EQ(w.tick(), 1u);
  const Withdrawal done = this->stored(a, first.id);
  EXPECT_EQ(done.status, WithdrawStatus::kCompleted);
  EXPECT_TRUE(std::regex_match(done.txid, std::regex("^[0-9a-f]{64}$"))) << done.txid;
  EXPECT_EQ(done.updated_at, this->clock_.now_ms());
  EXPECT_EQ(done.applied_at, first.applied_at);
  EXPECT_TRUE(w.open_withdrawals().empty());
  const AssetTotals t = this->totals("ETH");
  EXPECT_EQ(t.pending_withdrawal, 0);
  EXPECT_EQ(t.fees, kEthFee);                  // the fee stays with the exchange
  EXPECT_EQ(t.external, -10 * kOne + 2 * kOne);  // the amount went out
  EXPECT_EQ(this->free_of(a, "ETH"), 8 * kOne - kEthFee);
  // Completed is final: nothing more happens to it.
  this->clock_.advance_ms(kDelayMs);
  EXPECT_EQ(w.tick(), 0u);
  EXPECT_EQ(this->stored(a, first.id).txid, done.txid);
}

TYPED_TEST(WithdrawalsSqliteTest, ALargeWithdrawalWaitsForTheOperator) {
  const int64_t a = this->alice_;
  Wallet& w = *this->wallet_;
  this->fund(a, "ETH", 1000 * kOne);
  // At the threshold: no approval needed; above it: awaiting approval.
  const Withdrawal at = this->withdraw(this->eth_request(a, 100 * kOne));
  EXPECT_EQ(at.status, WithdrawStatus::kProcessing);
  const Withdrawal big = this->withdraw(this->eth_request(a, 100 * kOne + 1));
  EXPECT_EQ(big.status, WithdrawStatus::kAwaitingApproval);
  // On BSC nothing waits.
  EXPECT_EQ(this->withdraw({a, 1, "ETH", "BSC", kEthAddr, "", 500 * kOne, "", 0}).status, WithdrawStatus::kProcessing);
  // Held at once all the same.
  EXPECT_EQ(this->totals("ETH").pending_withdrawal, 700 * kOne + 1);
  EXPECT_EQ(this->free_of(a, "ETH"), 300 * kOne - 1 - 2 * kEthFee);

  // The chain never picks it up while it waits.
  this->clock_.advance_ms(10 * kDelayMs);
  EXPECT_EQ(w.tick(), 2u);
  EXPECT_EQ(this->stored(a, big.id).status, WithdrawStatus::kAwaitingApproval);
  EXPECT_EQ(w.tick(), 0u);
  const auto open = w.open_withdrawals();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, big.id);

  // Approved: processing from now, completed a delay after the approval.
  auto approved = w.approve_withdrawal(big.id);
  ASSERT_TRUE(approved.ok()) << approved.error().msg;
  EXPECT_EQ(approved->status, WithdrawStatus::kProcessing);
  EXPECT_EQ(approved->updated_at, this->clock_.now_ms());
  EXPECT_EQ(this->stored(a, big.id).status, WithdrawStatus::kProcessing);
  this->clock_.advance_ms(kDelayMs - 1);
  EXPECT_EQ(w.tick(), 0u);
  this->clock_.advance_ms(1);
  EXPECT_EQ(w.tick(), 1u);
  const Withdrawal done = this->stored(a, big.id);
  EXPECT_EQ(done.status, WithdrawStatus::kCompleted);
  EXPECT_EQ(done.txid.size(), 64u);
  const AssetTotals t = this->totals("ETH");
  EXPECT_EQ(t.pending_withdrawal, 0);
  EXPECT_EQ(t.external, -1000 * kOne + 700 * kOne + 1);
  EXPECT_EQ(t.fees, 2 * kEthFee);
}

TYPED_TEST(WithdrawalsTest, RejectionAndFailureReturnExactlyWhatWasHeld) {
  const int64_t a = this->alice_;
  Wallet& w = *this->wallet_;
  this->fund(a, "ETH", 1000 * kOne);
  this->fund(a, "XRP", 100 * kOne);
  const int64_t hours = 3'600'000;

  const Withdrawal big = this->withdraw(this->eth_request(a, 200 * kOne));
  ASSERT_EQ(big.status, WithdrawStatus::kAwaitingApproval);
  this->clock_.advance_ms(hours);
  auto rejected = w.reject_withdrawal(big.id, "looks like fraud");
  ASSERT_TRUE(rejected.ok()) << rejected.error().msg;
  EXPECT_EQ(rejected->status, WithdrawStatus::kRejected);
  EXPECT_EQ(rejected->info, "looks like fraud");
  EXPECT_EQ(rejected->updated_at, this->clock_.now_ms());
  EXPECT_EQ(this->free_of(a, "ETH"), 1000 * kOne);
  AssetTotals t = this->totals("ETH");
  EXPECT_EQ(t.pending_withdrawal, 0);
  EXPECT_EQ(t.fees, 0);
  EXPECT_EQ(t.external, -1000 * kOne);
  const Withdrawal stored_rejection = this->stored(a, big.id);
  EXPECT_EQ(stored_rejection.status, WithdrawStatus::kRejected);
  EXPECT_EQ(stored_rejection.info, "looks like fraud");
  EXPECT_TRUE(stored_rejection.txid.empty());

  // A processing one can fail (the chain refused it): funds back too, with a default reason.
  const Withdrawal xrp = this->withdraw({a, 1, "XRP", "XRP", kXrpAddr, "12345", 40 * kOne, "", 0});
  ASSERT_EQ(xrp.status, WithdrawStatus::kProcessing);
  EXPECT_EQ(this->free_of(a, "XRP"), 60 * kOne - kXrpFee);
  auto failed = w.fail_withdrawal(xrp.id, "");
  ASSERT_TRUE(failed.ok()) << failed.error().msg;
  EXPECT_EQ(failed->status, WithdrawStatus::kFailed);
  EXPECT_FALSE(failed->info.empty());
  EXPECT_EQ(this->free_of(a, "XRP"), 100 * kOne);
  t = this->totals("XRP");
  EXPECT_EQ(t.pending_withdrawal, 0);
  EXPECT_EQ(t.fees, 0);
  // The chain does not complete what was returned.
  this->clock_.advance_ms(kDelayMs);
  EXPECT_EQ(w.tick(), 0u);
  EXPECT_EQ(this->free_of(a, "XRP"), 100 * kOne);
  EXPECT_TRUE(w.open_withdrawals().empty());

  // An operator may also reject one that is already processing.
  const Withdrawal small = this->withdraw(this->eth_request(a, kOne));
  auto rejected_processing = w.reject_withdrawal(small.id, "");
  ASSERT_TRUE(rejected_processing.ok()) << rejected_processing.error().msg;
  EXPECT_EQ(this->free_of(a, "ETH"), 1000 * kOne);
  EXPECT_EQ(this->totals("ETH").fees, 0);
}

TYPED_TEST(WithdrawalsSqliteTest, OperatorActionsAreCheckedAgainstTheState) {
  const int64_t a = this->alice_;
  Wallet& w = *this->wallet_;
  this->fund(a, "ETH", 1000 * kOne);
  const Withdrawal processing = this->withdraw(this->eth_request(a, kOne));
  const Withdrawal waiting = this->withdraw(this->eth_request(a, 200 * kOne));
  const uint64_t before = this->state_hash();
  this->expect_error(w.approve_withdrawal(processing.id), -7435);
  this->expect_error(w.fail_withdrawal(waiting.id, "x"), -7435);  // never sent: reject it instead
  this->expect_error(w.approve_withdrawal(999), -7434);
  this->expect_error(w.reject_withdrawal(999, "x"), -7434);
  this->expect_error(w.fail_withdrawal(999, "x"), -7434);
  EXPECT_EQ(this->state_hash(), before);
  EXPECT_EQ(this->stored(a, processing.id).status, WithdrawStatus::kProcessing);
  EXPECT_EQ(this->stored(a, waiting.id).status, WithdrawStatus::kAwaitingApproval);

  // Finished ones: completed, rejected.
  this->clock_.advance_ms(kDelayMs);
  ASSERT_EQ(w.tick(), 1u);
  ASSERT_TRUE(w.reject_withdrawal(waiting.id, "no").ok());
  const uint64_t finished = this->state_hash();
  this->expect_error(w.reject_withdrawal(processing.id, "x"), -7435);
  this->expect_error(w.fail_withdrawal(processing.id, "x"), -7435);
  this->expect_error(w.approve_withdrawal(processing.id), -7435);
  this->expect_error(w.reject_withdrawal(waiting.id, "again"), -7435);
  this->expect_error(w.approve_withdrawal(waiting.id), -7435);
  EXPECT_EQ(this->state_hash(), finished);
  EXPECT_EQ(this->stored(a, processing.id).status, WithdrawStatus::kCompleted);
  EXPECT_EQ(this->stored(a, waiting.id).info, "no");
  EXPECT_EQ(this->free_of(a, "ETH"), 999 * kOne - kEthFee);
}

TYPED_TEST(WithdrawalsSqliteTest, TheKeysDailyCapCountsTheLast24Hours) {
  const int64_t a = this->alice_;
  Wallet& w = *this->wallet_;
  this->fund(a, "ETH", 1000 * kOne);
  const int64_t cap = 5 * kOne, key = 7;
  const int64_t t0 = this->clock_.now_ms();
  this->withdraw(this->eth_request(a, 3 * kOne, "", key, cap));
  this->clock_.advance_ms(3'600'000);
  this->withdraw(this->eth_request(a, 2 * kOne, "", key, cap));  // exactly up to the cap
  const uint64_t full = this->state_hash();
  this->expect_error(w.withdraw(this->eth_request(a, 1, "", key, cap)), -7433);
  EXPECT_EQ(this->state_hash(), full);
  // A raised cap leaves room.
  this->withdraw(this->eth_request(a, kOne, "", key, 6 * kOne));
  this->expect_error(w.withdraw(this->eth_request(a, 1, "", key, 6 * kOne)), -7433);

  // Still inside 24 hours of the first one: nothing has freed up.
  this->clock_.set_ms(t0 + kDayMs - 1);
  this->expect_error(w.withdraw(this->eth_request(a, 1, "", key, cap)), -7433);
  // 24 hours after the first: its 3 are free again, not more.
  this->clock_.set_ms(t0 + kDayMs);
  this->expect_error(w.withdraw(this->eth_request(a, 3 * kOne + 1, "", key, 6 * kOne)), -7433);
  this->withdraw(this->eth_request(a, 3 * kOne, "", key, 6 * kOne));
  this->expect_error(w.withdraw(this->eth_request(a, 1, "", key, 6 * kOne)), -7433);
  // And 24 hours after the second and third, theirs.
  this->clock_.set_ms(t0 + 3'600'000 + kDayMs);
  this->withdraw(this->eth_request(a, 3 * kOne, "", key, 6 * kOne));
  this->expect_error(w.withdraw(this->eth_request(a, 1, "", key, 6 * kOne)), -7433);
}

TYPED_TEST(WithdrawalsSqliteTest, TheCapIsPerKeyAndAsset) {
  const int64_t a = this->alice_;
  Wallet& w = *this->wallet_;
  this->fund(a, "ETH", 1000 * kOne);
  this->fund(a, "BTC", 10 * kOne);
  const int64_t cap = 5 * kOne;
  this->withdraw(this->eth_request(a, 5 * kOne, "", 7, cap));
  this->expect_error(w.withdraw(this->eth_request(a, 1, "", 7, cap)), -7433);
  // Other keys have their own count.
  this->withdraw(this->eth_request(a, 5 * kOne, "", 8, cap));
  this->expect_error(w.withdraw(this->eth_request(a, 1, "", 8, cap)), -7433);
  // Another network of the same asset counts against the same cap.
  this->expect_error(w.withdraw({a, 7, "ETH", "BSC", kEthAddr, "", 1, "", cap}), -7433);
  // Another asset is separate.
  this->withdraw({a, 7, "BTC", "BTC", kBtcAddr, "", 5 * kOne, "", cap});
  this->expect_error(w.withdraw({a, 7, "BTC", "BTC", kBtcAddr, "", 1, "", cap}), -7433);
  // No cap on the request: no limit, but what it withdraws counts once a cap is set.
  this->withdraw(this->eth_request(a, 50 * kOne, "", 9, 0));
  this->expect_error(w.withdraw(this->eth_request(a, kOne, "", 9, 50 * kOne)), -7433);
}

TYPED_TEST(WithdrawalsSqliteTest, RejectedAndFailedWithdrawalsDoNotCountTowardTheCap) {
  const int64_t a = this->alice_;
  Wallet& w = *this->wallet_;
  this->fund(a, "ETH", 1000 * kOne);
  const int64_t key = 7;
  const int64_t cap = 300 * kOne;
  const Withdrawal big = this->withdraw(this->eth_request(a, 200 * kOne, "", key, cap));
  const Withdrawal small = this->withdraw(this->eth_request(a, 100 * kOne, "", key, cap));
  this->expect_error(w.withdraw(this->eth_request(a, kOne, "", key, cap)), -7433);
  ASSERT_TRUE(w.reject_withdrawal(big.id, "").ok());
  this->withdraw(this->eth_request(a, 150 * kOne, "", key, cap));
  this->expect_error(w.withdraw(this->eth_request(a, 50 * kOne + 1, "", key, cap)), -7433);
  ASSERT_TRUE(w.fail_withdrawal(small.id, "").ok());
  this->withdraw(this->eth_request(a, 150 * kOne, "", key, cap));
  this->expect_error(w.withdraw(this->eth_request(a, 1, "", key, cap)), -7433);
  // After a restart the count is the same: rejected and failed ones are still left out.
  this->restart();
  this->expect_error(this->wallet_->withdraw(this->eth_request(a, 1, "", key, cap)), -7433);
  // What is left under a higher cap is exactly the difference.
  this->withdraw(this->eth_request(a, 1, "", key, cap + 1));
}

TYPED_TEST(WithdrawalsTest, AWithdrawOrderIdIsAppliedOnce) {
  const int64_t a = this->alice_, b = this->bob_;
  Wallet& w = *this->wallet_;
  this->fund(a, "ETH", 100 * kOne);
  this->fund(b, "ETH", 100 * kOne);
  const Withdrawal first = this->withdraw(this->eth_request(a, 10 * kOne, "order-1", 7, 10 * kOne));
  const uint64_t after_first = this->state_hash();
  // The same parameters: the first withdrawal, nothing new; even now that the cap is used up.
  const Withdrawal again = this->withdraw(this->eth_request(a, 10 * kOne, "order-1", 7, 10 * kOne));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.fee, first.fee);
  EXPECT_EQ(again.applied_at, first.applied_at);
  EXPECT_EQ(this->state_hash(), after_first);
  EXPECT_EQ(this->stored_withdrawals(), 1);
  // Asked through another key, it is still the user's order.
  EXPECT_EQ(this->withdraw(this->eth_request(a, 10 * kOne, "order-1", 8)).id, first.id);
  // Other parameters under the same id: refused, nothing changes.
  this->expect_error(w.withdraw(this->eth_request(a, 11 * kOne, "order-1")), -7419);
  this->expect_error(w.withdraw({a, 7, "ETH", "ETH", kEthAddr2, "", 10 * kOne, "order-1", 0}), -7419);
  this->expect_error(w.withdraw({a, 7, "ETH", "BSC", kEthAddr, "", 10 * kOne, "order-1", 0}), -7419);
  EXPECT_EQ(this->state_hash(), after_first);
  EXPECT_EQ(this->free_of(a, "ETH"), 90 * kOne - kEthFee);
  // Another user's ids are their own.
  const Withdrawal bobs = this->withdraw(this->eth_request(b, 20 * kOne, "order-1"));
  EXPECT_FALSE(bobs.replayed);
  EXPECT_NE(bobs.id, first.id);
  // No id: every request is a new withdrawal.
  EXPECT_NE(this->withdraw(this->eth_request(a, kOne)).id, this->withdraw(this->eth_request(a, kOne)).id);
  EXPECT_EQ(this->stored_withdrawals(), 4);
  // A rejected order stays answered: the replay neither withdraws again nor returns again.
  const Withdrawal big = this->withdraw(this->eth_request(a, 60 * kOne, "order-big"));
  ASSERT_EQ(big.status, WithdrawStatus::kProcessing);
  ASSERT_TRUE(w.reject_withdrawal(big.id, "").ok());
  const uint64_t after_reject = this->state_hash();
  const Withdrawal replay = this->withdraw(this->eth_request(a, 60 * kOne, "order-big"));
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.id, big.id);
  EXPECT_EQ(replay.status, WithdrawStatus::kRejected);
  EXPECT_EQ(this->state_hash(), after_reject);
}

TYPED_TEST(WithdrawalsTest, EverythingHoldsAcrossARestart) {
  const int64_t a = this->alice_;
  this->fund(a, "ETH", 1000 * kOne);
  const int64_t t0 = this->clock_.now_ms();
  const int64_t key = 7, cap = 50 * kOne;
  const Withdrawal w1 = this->withdraw(this->eth_request(a, 30 * kOne, "o-1", key, cap));
  const Withdrawal w2 = this->withdraw(this->eth_request(a, 150 * kOne, "o-2", 8));
  ASSERT_EQ(w2.status, WithdrawStatus::kAwaitingApproval);
  const int64_t free_before = this->free_of(a, "ETH");

  this->restart();
  EXPECT_EQ(this->free_of(a, "ETH"), free_before);
  EXPECT_EQ(this->totals("ETH").pending_withdrawal, 180 * kOne);
  // Idempotency remembered.
  auto replay = this->wallet_->withdraw(this->eth_request(a, 30 * kOne, "o-1", key, cap));
  ASSERT_TRUE(replay.ok()) << replay.error().msg;
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(replay->id, w1.id);
  this->expect_error(this->wallet_->withdraw(this->eth_request(a, 31 * kOne, "o-1", key, cap)), -7419);
  // The cap still counts what was withdrawn before the restart.
  this->expect_error(this->wallet_->withdraw(this->eth_request(a, 20 * kOne + 1, "", key, cap)), -7433);
  const Withdrawal w3 = this->withdraw(this->eth_request(a, 20 * kOne, "", key, cap));
  // Ids continue.
  EXPECT_EQ(w3.id, w2.id + 1);
  EXPECT_EQ(this->free_of(a, "ETH"), free_before - 20 * kOne - kEthFee);
  // Open withdrawals are still open: the chain completes the processing ones.
  const auto open = this->wallet_->open_withdrawals();
  ASSERT_EQ(open.size(), 3u);
  EXPECT_EQ(open[0].id, w1.id);
  EXPECT_EQ(open[1].status, WithdrawStatus::kAwaitingApproval);
  this->clock_.advance_ms(kDelayMs);
  EXPECT_EQ(this->wallet_->tick(), 2u);
  EXPECT_EQ(this->stored(a, w1.id).status, WithdrawStatus::kCompleted);
  EXPECT_EQ(this->stored(a, w3.id).status, WithdrawStatus::kCompleted);
  // An approval before a restart is kept; the delay runs from the approval.
  ASSERT_TRUE(this->wallet_->approve_withdrawal(w2.id).ok());
  this->restart();
  this->clock_.advance_ms(kDelayMs - 1);
  EXPECT_EQ(this->wallet_->tick(), 0u);
  this->clock_.advance_ms(1);
  EXPECT_EQ(this->wallet_->tick(), 1u);
  EXPECT_EQ(this->stored(a, w2.id).status, WithdrawStatus::kCompleted);
  EXPECT_EQ(this->totals("ETH").pending_withdrawal, 0);
  EXPECT_EQ(this->totals("ETH").external, -1000 * kOne + 200 * kOne);
  // A completed one stays completed (and is not paid out twice) after another restart.
  this->restart();
  EXPECT_TRUE(this->wallet_->open_withdrawals().empty());
  EXPECT_EQ(this->wallet_->tick(), 0u);
  this->expect_error(this->wallet_->reject_withdrawal(w1.id, ""), -7435);
  // The cap frees up 24 hours after the withdrawals, restarts or not.
  this->clock_.set_ms(t0 + kDayMs - 1);
  this->restart();
  this->expect_error(this->wallet_->withdraw(this->eth_request(a, 1, "", key, cap)), -7433);
  this->clock_.set_ms(t0 + kDayMs);
  this->withdraw(this->eth_request(a, cap, "", key, cap));
}

TYPED_TEST(WithdrawalsTest, TheHistoryFiltersAndPagesNewestFirst) {
  const int64_t a = this->alice_, b = this->bob_;
  this->fund(a, "ETH", 1000 * kOne);
  this->fund(a, "BTC", 10 * kOne);
  this->fund(b, "ETH", 10 * kOne);
  const int64_t t0 = this->clock_.now_ms();
  const Withdrawal e1 = this->withdraw(this->eth_request(a, kOne, "e-1"));  // t0, completes
  this->clock_.advance_ms(1000);
  const Withdrawal b1 = this->withdraw({a, 1, "BTC", "BTC", kBtcAddr, "", kOne, "b-1", 0});  // t0+1s, completes
  this->clock_.advance_ms(1000);
  const Withdrawal e2 = this->withdraw(this->eth_request(a, 200 * kOne, "e-2"));  // t0+2s, awaiting
  const Withdrawal bob = this->withdraw(this->eth_request(b, kOne, "e-1"));
  this->clock_.advance_ms(kDelayMs);
  ASSERT_EQ(this->wallet_->tick(), 3u);
  const Withdrawal e3 = this->withdraw(this->eth_request(a, 2 * kOne));  // processing
  ASSERT_TRUE(this->wallet_->reject_withdrawal(e3.id, "").ok());

  using V = std::vector<int64_t>;
  auto q = [] { return WithdrawQuery{}; };
  EXPECT_EQ(this->ids_of(a, q()), (V{e3.id, e2.id, b1.id, e1.id}));
  EXPECT_EQ(this->ids_of(b, q()), (V{bob.id}));
  WithdrawQuery by_asset = q();
  by_asset.asset = "ETH";
  EXPECT_EQ(this->ids_of(a, by_asset), (V{e3.id, e2.id, e1.id}));
  WithdrawQuery by_status = q();
  by_status.status = static_cast<int>(WithdrawStatus::kCompleted);
  EXPECT_EQ(this->ids_of(a, by_status), (V{b1.id, e1.id}));
  by_status.status = static_cast<int>(WithdrawStatus::kAwaitingApproval);
  EXPECT_EQ(this->ids_of(a, by_status), (V{e2.id}));
  by_status.status = static_cast<int>(WithdrawStatus::kRejected);
  EXPECT_EQ(this->ids_of(a, by_status), (V{e3.id}));
  by_status.asset = "BTC";
  EXPECT_EQ(this->ids_of(a, by_status), V{});
  WithdrawQuery by_order = q();
  by_order.withdraw_order_id = "e-1";
  EXPECT_EQ(this->ids_of(a, by_order), (V{e1.id}));
  EXPECT_EQ(this->ids_of(b, by_order), (V{bob.id}));
  WithdrawQuery by_time = q();
  by_time.start_ms = t0 + 1000;
  by_time.end_ms = t0 + 2000;
  EXPECT_EQ(this->ids_of(a, by_time), (V{e2.id, b1.id}));
  WithdrawQuery by_ids = q();
  by_ids.ids = {e1.id, e2.id, bob.id};  // bob's is not alice's to see
  EXPECT_EQ(this->ids_of(a, by_ids), (V{e2.id, e1.id}));
  by_ids.limit = 1;
  EXPECT_EQ(this->ids_of(a, by_ids), (V{e2.id}));
  WithdrawQuery page = q();
  page.limit = 3;
  EXPECT_EQ(this->ids_of(a, page), (V{e3.id, e2.id, b1.id}));
  page.offset = 3;
  EXPECT_EQ(this->ids_of(a, page), (V{e1.id}));
  page.offset = 4;
  EXPECT_EQ(this->ids_of(a, page), V{});

  // The rows carry what was asked and what happened.
  const Withdrawal btc = this->stored(a, b1.id);
  EXPECT_EQ(btc.request.asset, "BTC");
  EXPECT_EQ(btc.request.network, "BTC");
  EXPECT_EQ(btc.request.address, kBtcAddr);
  EXPECT_EQ(btc.request.amount, kOne);
  EXPECT_EQ(btc.request.withdraw_order_id, "b-1");
  EXPECT_EQ(btc.request.user_id, a);
  EXPECT_EQ(btc.fee, kBtcFee);
  EXPECT_EQ(btc.status, WithdrawStatus::kCompleted);
  EXPECT_EQ(btc.applied_at, t0 + 1000);
  EXPECT_EQ(btc.txid.size(), 64u);
}

// R2: concurrent requests are decided one at a time on the engine thread.
TYPED_TEST(WithdrawalsTest, OfManyConcurrentWithdrawalsOfTheWholeBalanceExactlyOneSucceeds) {
  const int64_t a = this->alice_;
  this->fund(a, "ETH", 10 * kOne);
  const int64_t all = 10 * kOne - kEthFee;
  std::atomic<int> ok{0}, insufficient{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&, i] {
      auto r = this->wallet_->withdraw(this->eth_request(a, all, "race-" + std::to_string(i), i + 1));
      if (r.ok()) ++ok;
      else if (r.error().code == -2010) ++insufficient;
      else ++other;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(insufficient.load(), 31);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(this->free_of(a, "ETH"), 0);
  EXPECT_EQ(this->stored_withdrawals(), 1);
  const AssetTotals t = this->totals("ETH");
  EXPECT_EQ(t.pending_withdrawal, all);
  EXPECT_EQ(t.fees, kEthFee);
}

TYPED_TEST(WithdrawalsSqliteTest, ConcurrentWithdrawalsCannotExceedTheKeysCap) {
  const int64_t a = this->alice_;
  this->fund(a, "ETH", 1000 * kOne);
  std::atomic<int> ok{0}, capped{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      auto r = this->wallet_->withdraw(this->eth_request(a, kOne, "", 7, 10 * kOne));
      if (r.ok()) ++ok;
      else if (r.error().code == -7433) ++capped;
      else ++other;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(capped.load(), 22);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(this->totals("ETH").pending_withdrawal, 10 * kOne);
}

TYPED_TEST(WithdrawalsSqliteTest, ConcurrentReplaysOfOneOrderWithdrawOnce) {
  const int64_t a = this->alice_;
  this->fund(a, "ETH", 100 * kOne);
  std::atomic<int> fresh{0}, replayed{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      auto r = this->wallet_->withdraw(this->eth_request(a, kOne, "same-order"));
      if (!r.ok()) ++other;
      else if (r->replayed) ++replayed;
      else ++fresh;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fresh.load(), 1);
  EXPECT_EQ(replayed.load(), 31);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(this->free_of(a, "ETH"), 99 * kOne - kEthFee);
  EXPECT_EQ(this->stored_withdrawals(), 1);
}

// Checking an address needs neither the engine running nor a particular store.
TEST(WalletAddressCheck, AddressesAreCheckedOnTheAssetsNetwork) {
  test::SqliteBackend backend;
  store::Store st(backend.open());
  st.migrate();
  ManualClock clock(0);
  engine::Engine engine(st, clock);
  const ExchangeSpec ex = suite_exchange();
  const Wallet w(engine, st, ex, WalletConfig{}, clock);
  auto code = [](const Status& s) { return s.ok() ? 0 : s.error().code; };
  EXPECT_EQ(code(w.check_address("ETH", "ETH", kEthAddr, "")), 0);
  EXPECT_EQ(code(w.check_address("ETH", "", kEthAddr, "")), 0);  // the default network
  EXPECT_EQ(code(w.check_address("ETH", "BSC", kEthAddr, "")), 0);
  EXPECT_EQ(code(w.check_address("DOGE", "", kEthAddr, "")), -7410);
  EXPECT_EQ(code(w.check_address("ETH", "BTC", kBtcAddr, "")), -7414);
  EXPECT_EQ(code(w.check_address("BTC", "", kEthAddr, "")), -7416);
  EXPECT_EQ(code(w.check_address("ETH", "ETH", kBtcAddr, "")), -7416);
  EXPECT_EQ(code(w.check_address("ETH", "ETH", "0x" + std::string(1000, 'a'), "")), -7416);
  EXPECT_EQ(code(w.check_address("ETH", "ETH", kEthAddr, "123")), -7417);  // ETH has no memos
  EXPECT_EQ(code(w.check_address("XRP", "", kXrpAddr, "123456789")), 0);
  EXPECT_EQ(code(w.check_address("XRP", "", kXrpAddr, "12 34")), -7417);
  EXPECT_EQ(code(w.check_address("FREE", "", std::string(129, 'x'), "")), -7416);
  // The networks' other values as configured.
  const Network* eth = *w.network_of("ETH", "");
  EXPECT_EQ(eth->name, "ETH");
  EXPECT_EQ(eth->withdraw_fee, kEthFee);
  EXPECT_EQ(eth->approval_above, 100 * kOne);
  EXPECT_EQ(w.confirmations_needed(*eth), 12);
  EXPECT_EQ((*w.network_of("ETH", "BSC"))->approval_above, 0);
}

// The rules alone, with the spec's patterns.
TEST(AddressRules, AddressesMustMatchTheNetworksPatternWhole) {
  const ExchangeSpec ex = suite_exchange();
  const AddressRules rules(ex);
  const Asset& eth = *ex.find_asset("ETH");
  const Network& net = *eth.find_network("ETH");
  auto code = [&](const Asset& asset, const Network& n, const std::string& address, const std::string& tag) {
    const Status s = rules.check(asset, n, address, tag);
    return s.ok() ? 0 : s.error().code;
  };
  EXPECT_EQ(code(eth, net, kEthAddr, ""), 0);
  EXPECT_EQ(code(eth, net, "0x" + std::string(20, 'A') + std::string(20, '9'), ""), 0);  // either case
  EXPECT_EQ(code(eth, net, "0x" + std::string(39, 'a'), ""), -7416);                    // too short
  EXPECT_EQ(code(eth, net, "0x" + std::string(41, 'a'), ""), -7416);                    // too long
  EXPECT_EQ(code(eth, net, kEthAddr + "\n", ""), -7416);                                // the whole of it
  EXPECT_EQ(code(eth, net, " " + kEthAddr, ""), -7416);
  EXPECT_EQ(code(eth, net, "0X" + std::string(40, 'a'), ""), -7416);
  EXPECT_EQ(code(eth, net, "0x" + std::string(39, 'a') + "g", ""), -7416);
  EXPECT_EQ(code(eth, net, "", ""), -7416);
  // No memos on ETH: any tag is refused.
  EXPECT_EQ(code(eth, net, kEthAddr, "1"), -7417);
  // Tags on a memo network: optional, and they must match the memo pattern and fit.
  const Asset& xrp = *ex.find_asset("XRP");
  const Network& xrp_net = *xrp.find_network("XRP");
  EXPECT_EQ(code(xrp, xrp_net, kXrpAddr, ""), 0);
  EXPECT_EQ(code(xrp, xrp_net, kXrpAddr, "1234567890"), 0);
  EXPECT_EQ(code(xrp, xrp_net, kXrpAddr, "12 34"), -7417);
  EXPECT_EQ(code(xrp, xrp_net, kXrpAddr, std::string(64, '1')), 0);
  EXPECT_EQ(code(xrp, xrp_net, kXrpAddr, std::string(65, '1')), -7417);  // the pattern allows 120
  EXPECT_EQ(code(xrp, xrp_net, kEthAddr, ""), -7416);
  // A network without a pattern takes any non-empty address, but not an overlong one.
  const Asset& free = *ex.find_asset("FREE");
  const Network& any = *free.find_network("ANY");
  EXPECT_EQ(code(free, any, "anything at all", ""), 0);
  EXPECT_EQ(code(free, any, std::string(128, 'x'), ""), 0);
  EXPECT_EQ(code(free, any, std::string(129, 'x'), ""), -7416);
  EXPECT_EQ(code(free, any, std::string(1'000'000, 'x'), ""), -7416);
  EXPECT_EQ(code(free, any, "", ""), -7416);
  // An overlong address on a patterned network, too.
  EXPECT_EQ(code(eth, net, "0x" + std::string(1'000'000, 'a'), ""), -7416);
  // A network the rules were not built with.
  Network stranger = net;
  stranger.name = "SOL";
  EXPECT_EQ(code(eth, stranger, kEthAddr, ""), -7414);
  EXPECT_EQ(code(xrp, net, kEthAddr, ""), -7414);  // ETH is not one of XRP's networks
}

TEST(WithdrawStatus, NamesAndFinalStates) {
  EXPECT_STREQ(status_name(WithdrawStatus::kAwaitingApproval), "awaiting approval");
  EXPECT_STREQ(status_name(WithdrawStatus::kCompleted), "completed");
  EXPECT_EQ(static_cast<int>(WithdrawStatus::kAwaitingApproval), 2);
  EXPECT_EQ(static_cast<int>(WithdrawStatus::kRejected), 3);
  EXPECT_EQ(static_cast<int>(WithdrawStatus::kProcessing), 4);
  EXPECT_EQ(static_cast<int>(WithdrawStatus::kFailed), 5);
  EXPECT_EQ(static_cast<int>(WithdrawStatus::kCompleted), 6);
  EXPECT_TRUE(is_final(WithdrawStatus::kRejected));
  EXPECT_TRUE(is_final(WithdrawStatus::kFailed));
  EXPECT_TRUE(is_final(WithdrawStatus::kCompleted));
  EXPECT_FALSE(is_final(WithdrawStatus::kProcessing));
  EXPECT_FALSE(is_final(WithdrawStatus::kAwaitingApproval));
}

}  // namespace
}  // namespace kg::wallet
