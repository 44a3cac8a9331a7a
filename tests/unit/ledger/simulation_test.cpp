// Seeded random operations against the ledger and a trivially simple model of it. After every
// operation: the outcome is the model's, no user balance is negative, and per asset
// users (free + locked) + fees + pending + convert desk = -external (R1's conservation).
// verify() at the end.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "ledger/entries.hpp"
#include "ledger/ledger.hpp"

namespace kg::ledger {
namespace {

constexpr int kSeeds = 200;
constexpr int kOperations = 500;
constexpr int64_t kUsers = 5;
const std::vector<std::string> kAssets{"BTC", "ETH", "USDT"};

struct PendingWithdrawal {
  int64_t user;
  std::string asset;
  int64_t amount;
  int64_t fee;
};

class Simulation {
 public:
  explicit Simulation(uint64_t seed) : rng_(seed) {}

  void step() {
    Entry e = next_entry();
    const bool expected = model_accepts(e);
    Status s = ledger_.apply(e);
    ASSERT_EQ(s.ok(), expected) << "entry " << e.id << " " << e.kind;
    if (!s.ok()) {
      ASSERT_EQ(s.error().code, -2010) << s.error().msg;
      refused_++;
      return;
    }
    for (const auto& p : e.postings) model_[{p.account, p.asset}] += p.amount;
    journal_.push_back(std::move(e));
    after_success();
  }

  void check_invariants() const {
    for (int64_t user = 1; user <= kUsers; ++user) {
      for (const auto& b : ledger_.balances_of(user)) {
        ASSERT_GE(b.free, 0);
        ASSERT_GE(b.locked, 0);
        ASSERT_EQ(b.free, model(AccountRef::user_free(user), b.asset));
        ASSERT_EQ(b.locked, model(AccountRef::user_locked(user), b.asset));
      }
    }
    for (const auto& asset : kAssets) {
      int64_t inside = ledger_.total(AccountKind::kUserFree, asset) +
                       ledger_.total(AccountKind::kUserLocked, asset) +
                       ledger_.total(AccountKind::kFees, asset) +
                       ledger_.total(AccountKind::kPendingWithdrawal, asset) +
                       ledger_.total(AccountKind::kConvertDesk, asset);
      ASSERT_EQ(inside, -ledger_.balance(AccountRef::external(), asset)) << asset;
      ASSERT_GE(ledger_.balance(AccountRef::fees(), asset), 0);
      ASSERT_GE(ledger_.balance(AccountRef::pending_withdrawal(), asset), 0);
      ASSERT_GE(ledger_.balance(AccountRef::convert_desk(), asset), 0);
    }
  }

  const Ledger& ledger() const { return ledger_; }
  const std::vector<Entry>& journal() const { return journal_; }
  int refused() const { return refused_; }

 private:
  int64_t pick(int64_t lo, int64_t hi) {  // inclusive; plain modulo keeps it the same everywhere
    return lo + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1));
  }
  int64_t user() { return pick(1, kUsers); }
  std::string asset() { return kAssets[pick(0, kAssets.size() - 1)]; }
  // Mostly small, sometimes more than anyone holds, so that refusals happen.
  int64_t amount() { return pick(0, 9) == 0 ? pick(1, 100'000) : pick(1, 2'000); }

  Entry next_entry() {
    const int64_t id = ++next_id_;
    const int64_t at = id * 10;
    const std::string ref = "r" + std::to_string(id);
    switch (pick(0, 9)) {
      case 0:
      case 1: return deposit(id, at, user(), asset(), amount(), ref);
      case 2: return transfer(id, at, user(), user(), asset(), amount(), ref);
      case 3: return hold(id, at, user(), asset(), amount(), ref);
      case 4: return release(id, at, user(), asset(), amount(), ref);
      case 5: {
        last_request_ = {user(), asset(), amount(), pick(0, 20)};
        const auto& w = last_request_;
        return withdraw_request(id, at, w.user, w.asset, w.amount, w.fee, ref);
      }
      case 6:
      case 7: return settle_or_spend(id, at, ref);
      case 8: return desk_fund(id, at, asset(), amount(), ref);
      default: return a_convert(id, at, ref);
    }
  }

  // Completes or returns an open withdrawal; with none open, a withdrawal that cannot complete.
  Entry settle_or_spend(int64_t id, int64_t at, const std::string& ref) {
    settling_ = !open_.empty();
    if (!settling_) return withdraw_complete(id, at, asset(), amount(), ref);
    settle_index_ = static_cast<size_t>(pick(0, open_.size() - 1));
    const auto& w = open_[settle_index_];
    if (pick(0, 1) == 0) return withdraw_complete(id, at, w.asset, w.amount, ref);
    return withdraw_return(id, at, w.user, w.asset, w.amount, w.fee, ref);
  }

  // A convert between two different assets, sometimes more than the user or the desk has.
  Entry a_convert(int64_t id, int64_t at, const std::string& ref) {
    const size_t from = static_cast<size_t>(pick(0, kAssets.size() - 1));
    const size_t to = (from + static_cast<size_t>(pick(1, kAssets.size() - 1))) % kAssets.size();
    const int64_t who = user();
    const int64_t pays = amount();
    const int64_t gets = amount();
    return convert(id, at, who, kAssets[from], pays, kAssets[to], gets, ref);
  }

  void after_success() {
    const Entry& e = journal_.back();
    if (e.kind == kKindWithdrawRequest) open_.push_back(last_request_);
    if (settling_ && (e.kind == kKindWithdrawComplete || e.kind == kKindWithdrawReturn)) {
      open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(settle_index_));
    }
    settling_ = false;
  }

  int64_t model(const AccountRef& a, const std::string& asset) const {
    auto it = model_.find({a, asset});
    return it == model_.end() ? 0 : it->second;
  }

  bool model_accepts(const Entry& e) const {
    std::map<std::tuple<AccountRef, std::string>, int64_t> after;
    for (const auto& p : e.postings) {
      auto [it, inserted] = after.try_emplace({p.account, p.asset}, model(p.account, p.asset));
      it->second += p.amount;
    }
    for (const auto& [key, value] : after) {
      if (value < 0 && std::get<0>(key).kind != AccountKind::kExternal) return false;
    }
    return true;
  }

  std::mt19937_64 rng_;
  Ledger ledger_;
  std::vector<Entry> journal_;
  std::map<std::tuple<AccountRef, std::string>, int64_t> model_;
  std::vector<PendingWithdrawal> open_;
  PendingWithdrawal last_request_{};
  bool settling_ = false;
  size_t settle_index_ = 0;
  int64_t next_id_ = 0;
  int refused_ = 0;
};

TEST(LedgerSimulation, ConservationHoldsUnderRandomOperations) {
  int refused = 0;
  size_t applied = 0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Simulation sim(static_cast<uint64_t>(seed));
    for (int op = 0; op < kOperations; ++op) {
      ASSERT_NO_FATAL_FAILURE(sim.step());
      ASSERT_NO_FATAL_FAILURE(sim.check_invariants());
    }
    ASSERT_EQ(Ledger::verify(sim.journal(), sim.ledger()), std::nullopt);
    // Replaying the journal from empty gives the same state (engineering.md §1.4).
    Ledger replayed;
    for (const auto& e : sim.journal()) ASSERT_TRUE(replayed.apply(e));
    ASSERT_EQ(replayed.state_hash(), sim.ledger().state_hash());
    refused += sim.refused();
    applied += sim.journal().size();
  }
  // The mix really exercises both paths.
  EXPECT_GT(refused, kSeeds * kOperations / 20);
  EXPECT_GT(applied, static_cast<size_t>(kSeeds * kOperations / 2));
}

}  // namespace
}  // namespace kg::ledger
