// The sequencer against a real store (SQLite and PostgreSQL): commands run one at a time in
// order, their effects are committed before their replies, a failing command changes nothing,
// and a new engine on the same store recovers the same state.

#include "engine/engine.hpp"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "ledger/entries.hpp"
#include "store/store.hpp"
#include "support/backends.hpp"

namespace kg::engine {
namespace {

using ledger::AccountRef;
using test::Backends;

template <typename Backend>
class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = Backend::skip_reason()) GTEST_SKIP() << *why;
    backend_ = std::make_unique<Backend>();
    store_ = std::make_unique<store::Store>(backend_->open());
    store_->migrate();  // journal entries need no users; only the deposits table refers to them
  }

  std::unique_ptr<Engine> make_engine() {
    auto e = std::make_unique<Engine>(*store_, clock_);
    e->recover();
    e->start();
    return e;
  }

  // Deposits `amount` of BTC to `user`; returns the ledger's status.
  static Status deposit(Engine& e, int64_t user, int64_t amount, const std::string& txid) {
    return e.submit<Status>([=](Batch& b) { return b.post(ledger::deposit(0, 0, user, "BTC", amount, txid)); }).get();
  }
  static int64_t balance(Engine& e, int64_t user) {
    return e.submit<int64_t>([=](Batch& b) { return b.ledger().balance(AccountRef::user_free(user), "BTC"); }).get();
  }
  static uint64_t hash(Engine& e) {
    return e.submit<uint64_t>([](Batch& b) { return b.ledger().state_hash(); }).get();
  }
  int64_t stored_entries() {
    return store_->tx([](store::Db& db) { return db.query_one("SELECT COUNT(*) FROM journal_entries")->int64(0); });
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{1'700'000'000'000};
};

TYPED_TEST_SUITE(EngineTest, Backends);

TYPED_TEST(EngineTest, ARepliedCommandIsInTheStore) {
  auto e = this->make_engine();
  ASSERT_TRUE(this->deposit(*e, 7, 150'000'000, "tx-1").ok());
  // The reply came after the commit: the entry is already there for anyone reading the store.
  EXPECT_EQ(this->stored_entries(), 1);
  EXPECT_EQ(this->balance(*e, 7), 150'000'000);
}

TYPED_TEST(EngineTest, AFailingCommandChangesNothing) {
  auto e = this->make_engine();
  ASSERT_TRUE(this->deposit(*e, 7, 100, "tx-1").ok());
  auto s = e->template submit<Status>([](Batch& b) {
    return b.post(ledger::transfer(0, 0, 7, 8, "BTC", 101, "too much"));
  }).get();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, -2010);
  EXPECT_EQ(this->balance(*e, 7), 100);
  EXPECT_EQ(this->balance(*e, 8), 0);
  EXPECT_EQ(this->stored_entries(), 1);
}

TYPED_TEST(EngineTest, ConcurrentCommandsAreSequencedAndAllDurable) {
  auto e = this->make_engine();
  ASSERT_TRUE(this->deposit(*e, 1, 1'000'000, "seed").ok());
  // 8 threads x 50 transfers of 1 unit from user 1 to user 2: every one lands exactly once.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto s = e->template submit<Status>([t, i](Batch& b) {
          return b.post(ledger::transfer(0, 0, 1, 2, "BTC", 1, "t" + std::to_string(t) + "-" + std::to_string(i)));
        }).get();
        if (s.ok()) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 400);
  EXPECT_EQ(this->balance(*e, 1), 1'000'000 - 400);
  EXPECT_EQ(this->balance(*e, 2), 400);
  EXPECT_EQ(this->stored_entries(), 401);
}

TYPED_TEST(EngineTest, RecoveryReplaysTheJournalToTheSameState) {
  uint64_t before = 0;
  {
    auto e = this->make_engine();
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(this->deposit(*e, 1 + i % 3, 1000 + i, "tx-" + std::to_string(i)).ok());
    ASSERT_TRUE(e->template submit<Status>([](Batch& b) {
      return b.post(ledger::transfer(0, 0, 1, 3, "BTC", 500, "x"));
    }).get().ok());
    before = this->hash(*e);
    e->stop();
  }
  auto again = std::make_unique<Engine>(*this->store_, this->clock_);
  EXPECT_EQ(again->recover(), 21u);
  again->start();
  EXPECT_EQ(this->hash(*again), before);
  // New entries continue after the recovered ones.
  ASSERT_TRUE(this->deposit(*again, 1, 1, "after").ok());
  EXPECT_EQ(this->stored_entries(), 22);
  auto journal = again->load_journal();
  ASSERT_EQ(journal.size(), 22u);
  EXPECT_EQ(journal.back().id, 22);
}

// The balances any thread reads without the queue (GET /api/v3/account): what a reply was
// acknowledged for is there once the reply is, and what is not committed yet is not.
TYPED_TEST(EngineTest, CommittedBalancesShowAcknowledgedChangesOnly) {
  auto e = this->make_engine();
  EXPECT_TRUE(e->balances_of(7)->empty());
  ASSERT_TRUE(this->deposit(*e, 7, 150, "tx-1").ok());
  ASSERT_EQ(e->balances_of(7)->size(), 1u);
  EXPECT_EQ(e->balances_of(7)->front(), (ledger::UserBalance{"BTC", 150, 0}));
  // Inside a batch, after posting: the ledger has it, the committed view not yet.
  auto seen = e->template submit<std::vector<int64_t>>([&e](Batch& b) {
    EXPECT_TRUE(b.post(ledger::transfer(0, 0, 7, 8, "BTC", 50, "t")).ok());
    return std::vector<int64_t>{b.ledger().balance(AccountRef::user_free(7), "BTC"), e->balances_of(7)->front().free,
                                static_cast<int64_t>(e->balances_of(8)->size())};
  }).get();
  EXPECT_EQ(seen, (std::vector<int64_t>{100, 150, 0}));
  // Both sides of the transfer, once it is acknowledged.
  EXPECT_EQ(e->balances_of(7)->front().free, 100);
  EXPECT_EQ(e->balances_of(8)->front().free, 50);
  // A failed command publishes nothing new.
  ASSERT_FALSE(e->template submit<Status>([](Batch& b) { return b.post(ledger::transfer(0, 0, 8, 9, "BTC", 51, "x")); })
                   .get()
                   .ok());
  EXPECT_EQ(e->balances_of(8)->front().free, 50);
  EXPECT_TRUE(e->balances_of(9)->empty());
  // A new engine on the same store shows the recovered balances before its first command.
  e->stop();
  auto again = std::make_unique<Engine>(*this->store_, this->clock_);
  again->recover();
  EXPECT_EQ(again->balances_of(7)->front().free, 100);
  EXPECT_EQ(again->balances_of(8)->front().free, 50);
}

TYPED_TEST(EngineTest, TheBatchSeesItsOwnEntriesBeforeTheyAreCommitted) {
  auto e = this->make_engine();
  // One command posting twice: the second sees the first (in memory, same batch).
  auto s = e->template submit<Status>([](Batch& b) -> Status {
    if (auto first = b.post(ledger::deposit(0, 0, 5, "BTC", 10, "a")); !first) return first;
    return b.post(ledger::transfer(0, 0, 5, 6, "BTC", 10, "b"));
  }).get();
  ASSERT_TRUE(s.ok()) << s.error().msg;
  EXPECT_EQ(this->balance(*e, 6), 10);
  EXPECT_EQ(this->stored_entries(), 2);
}

// What a command hands to on_commit runs after its entries are in the store, in command order,
// and before the command's reply is released.
TYPED_TEST(EngineTest, OnCommitActionsSeeTheStoreAndRunBeforeTheReply) {
  auto e = this->make_engine();
  std::vector<int64_t> stored_when_run;
  std::vector<int> order;
  std::vector<std::future<Status>> replies;
  for (int i = 0; i < 3; ++i) {
    replies.push_back(e->template submit<Status>([&, i](Batch& b) {
      auto s = b.post(ledger::deposit(0, 0, 5, "BTC", 10, "t" + std::to_string(i)));
      b.on_commit([&, i] {
        stored_when_run.push_back(this->stored_entries());
        order.push_back(i);
      });
      return s;
    }));
  }
  for (auto& r : replies) ASSERT_TRUE(r.get().ok());
  // Every action ran before its reply (the futures are ready only after them).
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  for (int64_t n : stored_when_run) EXPECT_GE(n, 1);
  EXPECT_EQ(stored_when_run.back(), 3);
}

}  // namespace
}  // namespace kg::engine
