#include "ledger/entries.hpp"

#include <gtest/gtest.h>

#include "ledger/ledger.hpp"

namespace kg::ledger {
namespace {

const AccountRef kFree1 = AccountRef::user_free(1);
const AccountRef kLocked1 = AccountRef::user_locked(1);
const AccountRef kFree2 = AccountRef::user_free(2);
const AccountRef kFees = AccountRef::fees();
const AccountRef kPending = AccountRef::pending_withdrawal();
const AccountRef kExternal = AccountRef::external();

// A ledger where user 1 has 1000 free "BTC" units, through entry 1.
Ledger funded() {
  Ledger ledger;
  EXPECT_TRUE(ledger.apply(deposit(1, 0, 1, "BTC", 1000, "tx0")));
  return ledger;
}

TEST(Entries, CarryIdTimeKindAndReference) {
  Entry e = transfer(42, 1700000000123, 1, 2, "BTC", 5, "client-7");
  EXPECT_EQ(e.id, 42);
  EXPECT_EQ(e.at_ms, 1700000000123);
  EXPECT_EQ(e.kind, "transfer");
  EXPECT_EQ(e.reference, "client-7");
  EXPECT_EQ(deposit(1, 0, 1, "BTC", 5, "t").kind, kKindDeposit);
  EXPECT_EQ(withdraw_return(1, 0, 1, "BTC", 5, 0, "t").kind, kKindWithdrawReturn);
}

TEST(Entries, AllBalance) {
  for (const Entry& e : {deposit(1, 0, 1, "BTC", 5, "t"), hold(1, 0, 1, "BTC", 5, "t"),
                         release(1, 0, 1, "BTC", 5, "t"), transfer(1, 0, 1, 2, "BTC", 5, "t"),
                         withdraw_request(1, 0, 1, "BTC", 5, 1, "t"),
                         withdraw_request(1, 0, 1, "BTC", 5, 0, "t"),
                         withdraw_complete(1, 0, "BTC", 5, "t"),
                         withdraw_return(1, 0, 1, "BTC", 5, 1, "t"),
                         withdraw_return(1, 0, 1, "BTC", 5, 0, "t")}) {
    EXPECT_TRUE(Ledger::balanced(e)) << e.kind;
    EXPECT_GE(e.postings.size(), 2u) << e.kind;
    for (const auto& p : e.postings) EXPECT_NE(p.amount, 0) << e.kind;
  }
}

TEST(Entries, DepositCreditsTheUserFromOutside) {
  Ledger ledger = funded();
  EXPECT_EQ(ledger.balance(kFree1, "BTC"), 1000);
  EXPECT_EQ(ledger.balance(kExternal, "BTC"), -1000);
}

TEST(Entries, HoldAndRelease) {
  Ledger ledger = funded();
  ASSERT_TRUE(ledger.apply(hold(2, 0, 1, "BTC", 300, "order")));
  EXPECT_EQ(ledger.balance(kFree1, "BTC"), 700);
  EXPECT_EQ(ledger.balance(kLocked1, "BTC"), 300);
  ASSERT_TRUE(ledger.apply(release(3, 0, 1, "BTC", 100, "order")));
  EXPECT_EQ(ledger.balance(kFree1, "BTC"), 800);
  EXPECT_EQ(ledger.balance(kLocked1, "BTC"), 200);
  EXPECT_EQ(ledger.apply(release(4, 0, 1, "BTC", 201, "order")).error().code, -2010);
}

TEST(Entries, TransferMovesFreeToFree) {
  Ledger ledger = funded();
  ASSERT_TRUE(ledger.apply(hold(2, 0, 1, "BTC", 600, "order")));
  // Locked funds cannot be transferred.
  EXPECT_EQ(ledger.apply(transfer(3, 0, 1, 2, "BTC", 401, "t")).error().code, -2010);
  ASSERT_TRUE(ledger.apply(transfer(3, 0, 1, 2, "BTC", 400, "t")));
  EXPECT_EQ(ledger.balance(kFree1, "BTC"), 0);
  EXPECT_EQ(ledger.balance(kLocked1, "BTC"), 600);
  EXPECT_EQ(ledger.balance(kFree2, "BTC"), 400);
}

TEST(Entries, WithdrawRequestTakesAmountAndFee) {
  Ledger ledger = funded();
  ASSERT_TRUE(ledger.apply(withdraw_request(2, 0, 1, "BTC", 900, 10, "w1")));
  EXPECT_EQ(ledger.balance(kFree1, "BTC"), 90);
  EXPECT_EQ(ledger.balance(kPending, "BTC"), 900);
  EXPECT_EQ(ledger.balance(kFees, "BTC"), 10);
  // Amount alone would fit, amount + fee does not.
  EXPECT_EQ(ledger.apply(withdraw_request(3, 0, 1, "BTC", 90, 1, "w2")).error().code, -2010);
  EXPECT_EQ(ledger.balance(kFree1, "BTC"), 90);
}

TEST(Entries, WithdrawCompleteSendsPendingOut) {
  Ledger ledger = funded();
  ASSERT_TRUE(ledger.apply(withdraw_request(2, 0, 1, "BTC", 900, 10, "w1")));
  ASSERT_TRUE(ledger.apply(withdraw_complete(3, 0, "BTC", 900, "w1")));
  EXPECT_EQ(ledger.balance(kPending, "BTC"), 0);
  EXPECT_EQ(ledger.balance(kExternal, "BTC"), -100);  // 1000 in, 900 out
  EXPECT_EQ(ledger.balance(kFees, "BTC"), 10);
  EXPECT_EQ(ledger.balance(kFree1, "BTC"), 90);
}

TEST(Entries, WithdrawReturnUndoesTheRequest) {
  Ledger ledger = funded();
  const uint64_t before = ledger.state_hash();
  ASSERT_TRUE(ledger.apply(withdraw_request(2, 0, 1, "BTC", 900, 10, "w1")));
  ASSERT_TRUE(ledger.apply(withdraw_return(3, 0, 1, "BTC", 900, 10, "w1")));
  EXPECT_EQ(ledger.balance(kFree1, "BTC"), 1000);
  EXPECT_EQ(ledger.balance(kPending, "BTC"), 0);
  EXPECT_EQ(ledger.balance(kFees, "BTC"), 0);
  EXPECT_EQ(ledger.state_hash(), before);
}

TEST(Entries, ZeroFeeWithdrawalHasNoFeePostings) {
  Entry e = withdraw_request(1, 0, 1, "BTC", 5, 0, "w");
  EXPECT_EQ(e.postings.size(), 2u);
  Ledger ledger = funded();
  ASSERT_TRUE(ledger.apply(withdraw_request(2, 0, 1, "BTC", 1000, 0, "w")));
  ASSERT_TRUE(ledger.apply(withdraw_return(3, 0, 1, "BTC", 1000, 0, "w")));
  EXPECT_EQ(ledger.balance(kFree1, "BTC"), 1000);
}

}  // namespace
}  // namespace kg::ledger
