#include "ledger/ledger.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ledger/entries.hpp"

namespace kg::ledger {
namespace {

constexpr int64_t kBtc = 100'000'000;  // 1 BTC in units
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

Entry make_entry(int64_t id, std::vector<Posting> postings) {
  return Entry{id, 1000 + id, "test", "ref", std::move(postings)};
}

void expect_error(const Status& s, int code) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, code) << s.error().msg;
}

TEST(Ledger, StartsEmpty) {
  Ledger ledger;
  EXPECT_EQ(ledger.balance(AccountRef::user_free(1), "BTC"), 0);
  EXPECT_TRUE(ledger.balances_of(1).empty());
  EXPECT_EQ(ledger.total(AccountKind::kUserFree, "BTC"), 0);
  EXPECT_EQ(ledger.last_entry_id(), 0);
  EXPECT_FALSE(Ledger::verify({}, ledger).has_value());
}

TEST(Ledger, AppliesABalancedEntry) {
  Ledger ledger;
  ASSERT_TRUE(ledger.apply(make_entry(1, {{AccountRef::external(), "BTC", -kBtc},
                                          {AccountRef::user_free(7), "BTC", kBtc}})));
  EXPECT_EQ(ledger.balance(AccountRef::user_free(7), "BTC"), kBtc);
  EXPECT_EQ(ledger.balance(AccountRef::external(), "BTC"), -kBtc);
  EXPECT_EQ(ledger.last_entry_id(), 1);
}

TEST(Ledger, RefusesFewerThanTwoPostings) {
  Ledger ledger;
  expect_error(ledger.apply(make_entry(1, {})), -7400);
  expect_error(ledger.apply(make_entry(1, {{AccountRef::user_free(1), "BTC", 5}})), -7400);
}

TEST(Ledger, RefusesZeroAmounts) {
  Ledger ledger;
  expect_error(ledger.apply(make_entry(1, {{AccountRef::external(), "BTC", 0},
                                           {AccountRef::user_free(1), "BTC", 0}})),
               -7400);
}

TEST(Ledger, RefusesMalformedAccountsAndAssets) {
  Ledger ledger;
  // A user account needs a user; a system account has none.
  expect_error(ledger.apply(make_entry(1, {{AccountRef::external(), "BTC", -5},
                                           {AccountRef::user_free(0), "BTC", 5}})),
               -7400);
  expect_error(ledger.apply(make_entry(1, {{AccountRef{AccountKind::kExternal, 3}, "BTC", -5},
                                           {AccountRef::user_free(1), "BTC", 5}})),
               -7400);
  expect_error(ledger.apply(make_entry(1, {{AccountRef::external(), "", -5},
                                           {AccountRef::user_free(1), "", 5}})),
               -7400);
  expect_error(ledger.apply(make_entry(1, {{AccountRef{static_cast<AccountKind>(9), 0}, "BTC", -5},
                                           {AccountRef::user_free(1), "BTC", 5}})),
               -7400);
}

TEST(Ledger, EntryIdsStrictlyIncrease) {
  Ledger ledger;
  ASSERT_TRUE(ledger.apply(deposit(5, 0, 1, "BTC", 10, "tx1")));
  expect_error(ledger.apply(deposit(5, 0, 1, "BTC", 10, "tx2")), -7401);
  expect_error(ledger.apply(deposit(4, 0, 1, "BTC", 10, "tx2")), -7401);
  expect_error(ledger.apply(deposit(0, 0, 1, "BTC", 10, "tx2")), -7401);
  ASSERT_TRUE(ledger.apply(deposit(9, 0, 1, "BTC", 10, "tx2")));  // gaps are fine
  EXPECT_EQ(ledger.last_entry_id(), 9);
  EXPECT_EQ(ledger.balance(AccountRef::user_free(1), "BTC"), 20);
}

TEST(Ledger, NoUserFeeOrPendingAccountGoesNegative) {
  Ledger ledger;
  ASSERT_TRUE(ledger.apply(deposit(1, 0, 1, "BTC", 100, "tx")));
  expect_error(ledger.apply(transfer(2, 0, 1, 2, "BTC", 101, "t")), -2010);
  expect_error(ledger.apply(hold(2, 0, 1, "BTC", 101, "h")), -2010);
  expect_error(ledger.apply(release(2, 0, 1, "BTC", 1, "r")), -2010);  // nothing locked
  expect_error(ledger.apply(withdraw_complete(2, 0, "BTC", 1, "w")), -2010);  // nothing pending
  expect_error(ledger.apply(make_entry(2, {{AccountRef::fees(), "BTC", -1},
                                           {AccountRef::user_free(1), "BTC", 1}})),
               -2010);
  auto refused = ledger.apply(transfer(2, 0, 1, 2, "BTC", 101, "t"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().http, 400);
  EXPECT_EQ(refused.error().msg, "Account has insufficient balance for requested action.");
  // Exactly everything is fine.
  ASSERT_TRUE(ledger.apply(transfer(2, 0, 1, 2, "BTC", 100, "t")));
  EXPECT_EQ(ledger.balance(AccountRef::user_free(1), "BTC"), 0);
}

TEST(Ledger, ExternalMayGoNegative) {
  Ledger ledger;
  ASSERT_TRUE(ledger.apply(deposit(1, 0, 1, "BTC", kMax, "tx")));
  EXPECT_EQ(ledger.balance(AccountRef::external(), "BTC"), -kMax);
}

TEST(Ledger, OverflowIsAnErrorNeverAWrap) {
  Ledger ledger;
  ASSERT_TRUE(ledger.apply(deposit(1, 0, 1, "BTC", kMax, "tx1")));
  expect_error(ledger.apply(deposit(2, 0, 1, "BTC", 1, "tx2")), -7402);
  EXPECT_EQ(ledger.balance(AccountRef::user_free(1), "BTC"), kMax);
  // The external account overflows downwards: a second user's deposit would take it below
  // INT64_MIN.
  expect_error(ledger.apply(deposit(2, 0, 2, "BTC", 2, "tx2")), -7402);
  EXPECT_EQ(ledger.balance(AccountRef::user_free(2), "BTC"), 0);
  EXPECT_EQ(ledger.balance(AccountRef::external(), "BTC"), -kMax);
  // INT64_MIN itself is refused too, so every total of an asset fits in an int64.
  expect_error(ledger.apply(deposit(2, 0, 2, "BTC", 1, "tx2")), -7402);
  EXPECT_EQ(ledger.total(AccountKind::kUserFree, "BTC"), kMax);
}

// An overdraft is -2010 whatever the other side holds: answering -7402 when only the recipient
// would overflow would let anyone read a balance with refused transfers.
TEST(Ledger, AnOverdraftIsInsufficientBalanceEvenIfTheRecipientWouldOverflow) {
  Ledger ledger;
  ASSERT_TRUE(ledger.apply(deposit(1, 0, 1, "BTC", kMax - 10, "tx1")));
  ASSERT_TRUE(ledger.apply(deposit(2, 0, 2, "BTC", 5, "tx2")));
  expect_error(ledger.apply(transfer(3, 0, 2, 1, "BTC", 20, "t")), -2010);
  expect_error(ledger.apply(transfer(3, 0, 2, 1, "BTC", kMax, "t")), -2010);
  EXPECT_EQ(ledger.balance(AccountRef::user_free(1), "BTC"), kMax - 10);
  EXPECT_EQ(ledger.balance(AccountRef::user_free(2), "BTC"), 5);
}

TEST(Ledger, PostingsToOneAccountAreNettedInsideAnEntry) {
  Ledger ledger;
  ASSERT_TRUE(ledger.apply(deposit(1, 0, 1, "BTC", 100, "tx")));
  // Taken in the order given, -150 first would go negative; netted it is -50 and fine.
  ASSERT_TRUE(ledger.apply(make_entry(2, {{AccountRef::user_free(1), "BTC", -150},
                                          {AccountRef::user_free(1), "BTC", 100},
                                          {AccountRef::user_free(2), "BTC", 50}})));
  EXPECT_EQ(ledger.balance(AccountRef::user_free(1), "BTC"), 50);
  EXPECT_EQ(ledger.balance(AccountRef::user_free(2), "BTC"), 50);
}

TEST(Ledger, AFailingEntryChangesNothing) {
  Ledger ledger;
  ASSERT_TRUE(ledger.apply(deposit(1, 0, 1, "BTC", 100, "a")));
  ASSERT_TRUE(ledger.apply(deposit(2, 0, 1, "ETH", 5, "b")));
  const uint64_t before = ledger.state_hash();
  // Two assets; the BTC half is fine, the ETH half is not: neither may apply.
  Entry e = make_entry(3, {{AccountRef::user_free(1), "BTC", -60},
                           {AccountRef::user_free(2), "BTC", 60},
                           {AccountRef::user_free(1), "ETH", -6},
                           {AccountRef::user_free(2), "ETH", 6}});
  expect_error(ledger.apply(e), -2010);
  EXPECT_EQ(ledger.state_hash(), before);
  EXPECT_EQ(ledger.balance(AccountRef::user_free(1), "BTC"), 100);
  EXPECT_EQ(ledger.balance(AccountRef::user_free(2), "BTC"), 0);
  EXPECT_EQ(ledger.balance(AccountRef::user_free(1), "ETH"), 5);
  EXPECT_EQ(ledger.last_entry_id(), 2);
  // The refused id was not consumed.
  e.postings[2].amount = -5;
  e.postings[3].amount = 5;
  ASSERT_TRUE(ledger.apply(e));
  EXPECT_EQ(ledger.last_entry_id(), 3);
}

TEST(Ledger, Balanced) {
  EXPECT_TRUE(Ledger::balanced(deposit(1, 0, 1, "BTC", 5, "tx")));
  EXPECT_TRUE(Ledger::balanced(make_entry(1, {})));
  EXPECT_FALSE(Ledger::balanced(make_entry(1, {{AccountRef::external(), "BTC", -5},
                                               {AccountRef::user_free(1), "BTC", 4}})));
  // Balanced in total but not per asset.
  EXPECT_FALSE(Ledger::balanced(make_entry(1, {{AccountRef::external(), "BTC", -5},
                                               {AccountRef::user_free(1), "ETH", 5}})));
  // Sums beyond int64 in the middle still balance.
  EXPECT_TRUE(Ledger::balanced(make_entry(1, {{AccountRef::user_free(1), "BTC", kMax},
                                              {AccountRef::user_free(2), "BTC", kMax},
                                              {AccountRef::user_free(3), "BTC", -kMax},
                                              {AccountRef::user_free(4), "BTC", -kMax}})));
}

TEST(LedgerDeathTest, AnUnbalancedEntryStopsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Ledger ledger;
  Entry e = make_entry(1, {{AccountRef::external(), "BTC", -5},
                           {AccountRef::user_free(1), "BTC", 4}});
  EXPECT_DEATH((void)ledger.apply(e), "journal entry 1 .* does not balance");
}

TEST(LedgerDeathTest, ANonPositiveAmountInABuilderStopsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH((void)transfer(1, 0, 1, 2, "BTC", -5, "t"), "amount must be > 0");
  EXPECT_DEATH((void)deposit(1, 0, 1, "BTC", 0, "t"), "amount must be > 0");
  EXPECT_DEATH((void)withdraw_request(1, 0, 1, "BTC", 5, -1, "w"), "fee must be >= 0");
}

TEST(Ledger, BalancesOfIsSortedAndOmitsZeros) {
  Ledger ledger;
  ASSERT_TRUE(ledger.apply(deposit(1, 0, 1, "USDT", 500, "a")));
  ASSERT_TRUE(ledger.apply(deposit(2, 0, 1, "BTC", 100, "b")));
  ASSERT_TRUE(ledger.apply(deposit(3, 0, 1, "ETH", 7, "c")));
  ASSERT_TRUE(ledger.apply(hold(4, 0, 1, "BTC", 30, "h")));
  ASSERT_TRUE(ledger.apply(hold(5, 0, 1, "USDT", 500, "h")));
  ASSERT_TRUE(ledger.apply(transfer(6, 0, 1, 2, "ETH", 7, "t")));  // ETH back to zero
  ASSERT_TRUE(ledger.apply(deposit(7, 0, 2, "XRP", 9, "d")));      // someone else's
  std::vector<UserBalance> expected{{"BTC", 70, 30}, {"USDT", 0, 500}};
  EXPECT_EQ(ledger.balances_of(1), expected);
  std::vector<UserBalance> other{{"ETH", 7, 0}, {"XRP", 9, 0}};
  EXPECT_EQ(ledger.balances_of(2), other);
  EXPECT_TRUE(ledger.balances_of(3).empty());
}

TEST(Ledger, TotalsPerKindAndAsset) {
  Ledger ledger;
  ASSERT_TRUE(ledger.apply(deposit(1, 0, 1, "BTC", 100, "a")));
  ASSERT_TRUE(ledger.apply(deposit(2, 0, 2, "BTC", 50, "b")));
  ASSERT_TRUE(ledger.apply(deposit(3, 0, 3, "ETH", 9, "c")));
  ASSERT_TRUE(ledger.apply(hold(4, 0, 2, "BTC", 20, "h")));
  ASSERT_TRUE(ledger.apply(withdraw_request(5, 0, 1, "BTC", 10, 1, "w")));
  EXPECT_EQ(ledger.total(AccountKind::kUserFree, "BTC"), 89 + 30);
  EXPECT_EQ(ledger.total(AccountKind::kUserLocked, "BTC"), 20);
  EXPECT_EQ(ledger.total(AccountKind::kPendingWithdrawal, "BTC"), 10);
  EXPECT_EQ(ledger.total(AccountKind::kFees, "BTC"), 1);
  EXPECT_EQ(ledger.total(AccountKind::kExternal, "BTC"), -150);
  EXPECT_EQ(ledger.total(AccountKind::kUserFree, "ETH"), 9);
  EXPECT_EQ(ledger.assets(), (std::vector<std::string>{"BTC", "ETH"}));
}

// --- state hash -------------------------------------------------------------------------------

std::vector<Entry> sample_journal() {
  return {deposit(1, 10, 1, "BTC", 5 * kBtc, "tx1"),
          deposit(2, 11, 2, "USDT", 1000 * kBtc, "tx2"),
          hold(3, 12, 1, "BTC", kBtc, "order-1"),
          transfer(4, 13, 2, 3, "USDT", 250 * kBtc, "c-1"),
          withdraw_request(5, 14, 1, "BTC", 2 * kBtc, 50'000, "w-1"),
          withdraw_complete(6, 15, "BTC", 2 * kBtc, "w-1"),
          release(7, 16, 1, "BTC", kBtc / 2, "order-1")};
}

Ledger replay(const std::vector<Entry>& journal) {
  Ledger ledger;
  for (const auto& e : journal) EXPECT_TRUE(ledger.apply(e)) << "entry " << e.id;
  return ledger;
}

TEST(StateHash, SameEntriesSameHash) {
  auto journal = sample_journal();
  EXPECT_EQ(replay(journal).state_hash(), replay(journal).state_hash());
  EXPECT_NE(replay(journal).state_hash(), Ledger{}.state_hash());
}

TEST(StateHash, OneAmountDifferentDifferentHash) {
  auto journal = sample_journal();
  auto changed = journal;
  changed[3] = transfer(4, 13, 2, 3, "USDT", 250 * kBtc + 1, "c-1");
  EXPECT_NE(replay(journal).state_hash(), replay(changed).state_hash());
}

TEST(StateHash, IndependentOfTheOrderAccountsWereTouched) {
  // Users 1, 2, 3 receive the same amounts in opposite orders, through different routes.
  Ledger a;
  ASSERT_TRUE(a.apply(deposit(1, 0, 1, "BTC", 10, "x")));
  ASSERT_TRUE(a.apply(deposit(2, 0, 2, "ETH", 20, "x")));
  ASSERT_TRUE(a.apply(deposit(3, 0, 3, "BTC", 30, "x")));
  Ledger b;
  ASSERT_TRUE(b.apply(deposit(1, 0, 3, "BTC", 40, "y")));
  ASSERT_TRUE(b.apply(transfer(2, 0, 3, 1, "BTC", 10, "y")));
  ASSERT_TRUE(b.apply(deposit(3, 0, 2, "ETH", 20, "y")));
  ASSERT_TRUE(b.apply(hold(4, 0, 2, "ETH", 20, "y")));
  ASSERT_TRUE(b.apply(release(5, 0, 2, "ETH", 20, "y")));  // locked back to zero
  EXPECT_EQ(a.state_hash(), b.state_hash());
  EXPECT_NE(a.last_entry_id(), b.last_entry_id());
}

TEST(StateHash, IsAFixedFunctionOfTheBalances) {
  // Pinned so a change of encoding is a deliberate decision (it breaks comparing hashes across
  // versions), not an accident.
  EXPECT_EQ(Ledger{}.state_hash(), 14695981039346656037ull);
  Ledger one;
  ASSERT_TRUE(one.apply(deposit(1, 0, 1, "BTC", 1, "x")));
  EXPECT_EQ(one.state_hash(), replay({deposit(1, 0, 1, "BTC", 1, "x")}).state_hash());
}

// --- verify -----------------------------------------------------------------------------------

TEST(Verify, HoldsAfterManyEntries) {
  std::vector<Entry> journal;
  Ledger ledger;
  int64_t id = 0;
  for (int round = 0; round < 50; ++round) {
    for (int64_t user = 1; user <= 4; ++user) {
      journal.push_back(deposit(++id, 0, user, "BTC", 1000 + round, "d"));
      journal.push_back(hold(++id, 0, user, "BTC", 10, "h"));
      journal.push_back(transfer(++id, 0, user, user % 4 + 1, "BTC", 100, "t"));
      journal.push_back(withdraw_request(++id, 0, user, "BTC", 50, 2, "w"));
      journal.push_back(round % 2 ? withdraw_complete(++id, 0, "BTC", 50, "w")
                                  : withdraw_return(++id, 0, user, "BTC", 50, 2, "w"));
      journal.push_back(release(++id, 0, user, "BTC", 5, "r"));
    }
  }
  for (const auto& e : journal) ASSERT_TRUE(ledger.apply(e)) << e.id;
  EXPECT_EQ(Ledger::verify(journal, ledger), std::nullopt);
}

TEST(Verify, FindsATamperedJournal) {
  auto journal = sample_journal();
  Ledger ledger = replay(journal);
  ASSERT_EQ(Ledger::verify(journal, ledger), std::nullopt);

  auto one_side = journal;  // one posting changed: the entry no longer balances
  one_side[1].postings[1].amount += 1;
  auto problem = Ledger::verify(one_side, ledger);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(*problem, "journal entry 2 does not balance");

  auto both_sides = journal;  // still balanced, but not what the ledger applied
  both_sides[3].postings[0].amount -= 7;
  both_sides[3].postings[1].amount += 7;
  problem = Ledger::verify(both_sides, ledger);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("the ledger holds"), std::string::npos) << *problem;

  auto missing = journal;  // an entry lost
  missing.pop_back();
  EXPECT_TRUE(Ledger::verify(missing, ledger).has_value());

  auto reordered = journal;
  std::swap(reordered[0], reordered[1]);
  EXPECT_TRUE(Ledger::verify(reordered, ledger).has_value());
}

TEST(Verify, FindsALedgerThatHoldsMoreThanTheJournal) {
  auto journal = sample_journal();
  Ledger ledger = replay(journal);
  ASSERT_TRUE(ledger.apply(deposit(100, 0, 9, "DOGE", 1, "extra")));
  auto problem = Ledger::verify(journal, ledger);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("DOGE"), std::string::npos) << *problem;
}

}  // namespace
}  // namespace kg::ledger
