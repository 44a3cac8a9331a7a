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
const AccountRef kDesk = AccountRef::convert_desk();

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
  EXPECT_EQ(desk_fund(1, 0, "XRP", 5, "t").kind, kKindDeskFund);
  EXPECT_EQ(convert(1, 0, 1, "USDT", 5, "XRP", 7, "q").kind, kKindConvert);
}

TEST(Entries, AllBalance) {
  for (const Entry& e :
       {deposit(1, 0, 1, "BTC", 5, "t"), hold(1, 0, 1, "BTC", 5, "t"),
        release(1, 0, 1, "BTC", 5, "t"), transfer(1, 0, 1, 2, "BTC", 5, "t"),
        withdraw_request(1, 0, 1, "BTC", 5, 1, "t"), withdraw_request(1, 0, 1, "BTC", 5, 0, "t"),
        withdraw_complete(1, 0, "BTC", 5, "t"), withdraw_return(1, 0, 1, "BTC", 5, 1, "t"),
        withdraw_return(1, 0, 1, "BTC", 5, 0, "t"), desk_fund(1, 0, "XRP", 5, "t"),
        convert(1, 0, 1, "USDT", 5, "XRP", 7, "t")}) {
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

// --- the convert desk ---------------------------------------------------------------------------

// User 1 holds 1000 USDT units; the desk holds 500 XRP units.
Ledger with_desk() {
  Ledger ledger;
  EXPECT_TRUE(ledger.apply(deposit(1, 0, 1, "USDT", 1000, "tx0")));
  EXPECT_TRUE(ledger.apply(desk_fund(2, 0, "XRP", 500, "fund-xrp")));
  return ledger;
}

TEST(Entries, DeskFundComesFromOutside) {
  Ledger ledger = with_desk();
  EXPECT_EQ(ledger.balance(kDesk, "XRP"), 500);
  EXPECT_EQ(ledger.balance(kExternal, "XRP"), -500);
  EXPECT_EQ(ledger.total(AccountKind::kConvertDesk, "XRP"), 500);
}

TEST(Entries, ConvertSwapsWithTheDesk) {
  Ledger ledger = with_desk();
  ASSERT_TRUE(ledger.apply(convert(3, 0, 1, "USDT", 200, "XRP", 400, "q1")));
  EXPECT_EQ(ledger.balance(kFree1, "USDT"), 800);
  EXPECT_EQ(ledger.balance(kFree1, "XRP"), 400);
  EXPECT_EQ(ledger.balance(kDesk, "USDT"), 200);
  EXPECT_EQ(ledger.balance(kDesk, "XRP"), 100);
  // Conservation per asset: users + desk = -external.
  for (const char* asset : {"USDT", "XRP"}) {
    EXPECT_EQ(ledger.total(AccountKind::kUserFree, asset) +
                  ledger.total(AccountKind::kConvertDesk, asset),
              -ledger.balance(kExternal, asset))
        << asset;
  }
  std::vector<Entry> journal{deposit(1, 0, 1, "USDT", 1000, "tx0"),
                             desk_fund(2, 0, "XRP", 500, "fund-xrp"),
                             convert(3, 0, 1, "USDT", 200, "XRP", 400, "q1")};
  EXPECT_EQ(Ledger::verify(journal, ledger), std::nullopt);
}

TEST(Entries, AConvertTheDeskCannotCoverIsRefusedAndChangesNothing) {
  Ledger ledger = with_desk();
  const uint64_t before = ledger.state_hash();
  Status s = ledger.apply(convert(3, 0, 1, "USDT", 200, "XRP", 501, "q1"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, -2010);
  EXPECT_EQ(ledger.state_hash(), before);
  EXPECT_EQ(ledger.last_entry_id(), 2);
  EXPECT_EQ(ledger.balance(kFree1, "USDT"), 1000);
  EXPECT_EQ(ledger.balance(kDesk, "XRP"), 500);
  EXPECT_EQ(ledger.balance(kDesk, "USDT"), 0);
}

TEST(Entries, AConvertTheUserCannotPayIsRefusedAndChangesNothing) {
  Ledger ledger = with_desk();
  const uint64_t before = ledger.state_hash();
  Status s = ledger.apply(convert(3, 0, 1, "USDT", 1001, "XRP", 1, "q1"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, -2010);
  EXPECT_EQ(ledger.state_hash(), before);
  // Locked funds do not pay for a convert either.
  ASSERT_TRUE(ledger.apply(hold(3, 0, 1, "USDT", 900, "order")));
  EXPECT_EQ(ledger.apply(convert(4, 0, 1, "USDT", 101, "XRP", 1, "q2")).error().code, -2010);
  ASSERT_TRUE(ledger.apply(convert(4, 0, 1, "USDT", 100, "XRP", 1, "q2")));
}

TEST(Entries, TheDeskIsASystemAccount) {
  Ledger ledger;
  // The desk has no owner; one with an owner is malformed, like any system account.
  Entry e{1, 0, "desk_fund", "x", {}};
  e.postings = {{kExternal, "BTC", -5}, {AccountRef{AccountKind::kConvertDesk, 3}, "BTC", 5}};
  EXPECT_EQ(ledger.apply(e).error().code, -7400);
  // It can never be drawn below zero, not even by a hand-made entry.
  Entry drain{1, 0, "x", "x", {{kDesk, "BTC", -5}, {kExternal, "BTC", 5}}};
  EXPECT_EQ(ledger.apply(drain).error().code, -2010);
}

TEST(EntriesDeathTest, AConvertNeedsTwoAssetsAndPositiveAmounts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH((void)convert(1, 0, 1, "XRP", 5, "XRP", 5, "q"), "both sides are XRP");
  EXPECT_DEATH((void)convert(1, 0, 1, "USDT", 0, "XRP", 5, "q"), "amount must be > 0");
  EXPECT_DEATH((void)convert(1, 0, 1, "USDT", 5, "XRP", -1, "q"), "to_amount must be > 0");
  EXPECT_DEATH((void)desk_fund(1, 0, "XRP", 0, "f"), "amount must be > 0");
}

}  // namespace
}  // namespace kg::ledger
