// Internal transfers against a real engine and store (SQLite, and PostgreSQL when
// KEYGATE_TEST_PG_URL is set): transfer_async, the network layer's way in, answers every request
// once and only once it is durable, lets transfers queued together share one commit, keeps
// clientTranId exactly-once, and refuses bad requests without a journal entry.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "support/backends.hpp"
#include "support/wallet_fixture.hpp"
#include "wallet/wallet.hpp"

namespace kg::wallet {
namespace {

constexpr int64_t kOne = 100'000'000;  // 1.00000000

// The answers handed to transfer_async's `done`, in the order they came, and a wait for them.
class Answers {
 public:
  std::function<void(Result<Transfer>&&)> slot() {
    return [this](Result<Transfer>&& t) {
      std::lock_guard lock(mu_);
      got_.push_back(std::move(t));
      cv_.notify_all();
    };
  }
  // Every answer once `n` have come, or what came within 10 s.
  std::vector<Result<Transfer>> wait_for(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return got_.size() >= n; });
    return got_;
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return got_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Result<Transfer>> got_;
};

template <typename Backend>
class TransfersTest : public test::WalletFixture<Backend> {
 protected:
  ExchangeSpec exchange_spec() const override {
    ExchangeSpec ex;
    ex.assets.push_back(Asset{"USDT", "Tether", {}});
    return ex;
  }
  void before_start(engine::Engine& e) override {
    e.set_commit_listener([this](const engine::Batch& b) {
      if (!b.entries().empty()) ++batches_;
    });
  }
  // Holds the engine thread until the returned promise is set: what is queued meanwhile is taken
  // together once it is released.
  std::shared_ptr<std::promise<void>> hold_engine() {
    auto release = std::make_shared<std::promise<void>>();
    auto held = std::make_shared<std::promise<void>>();
    auto released = release->get_future().share();
    engine_->template submit_then<int>(
        [held, released](engine::Batch&) {
          held->set_value();
          released.wait();
          return 0;
        },
        [](int&&) {});
    held->get_future().wait();
    return release;
  }
  int64_t stored_transfers() {
    return store_->tx([](store::Db& db) { return db.query_one("SELECT COUNT(*) FROM transfers")->int64(0); });
  }
  TransferRequest req(int64_t amount, std::string id) { return {this->alice_, this->bob_, "USDT", amount, std::move(id)}; }

  std::atomic<int> batches_{0};
  using test::WalletFixture<Backend>::wallet_;
  using test::WalletFixture<Backend>::store_;
  using test::WalletFixture<Backend>::engine_;
};

TYPED_TEST_SUITE(TransfersTest, test::Backends);

TYPED_TEST(TransfersTest, QueuedTransfersAreAnsweredOnceEachAndShareACommit) {
  this->fund(this->alice_, "USDT", 1000 * kOne);
  const int before = this->batches_.load();
  constexpr size_t kN = 200;
  Answers answers;
  auto release = this->hold_engine();
  for (size_t i = 0; i < kN; ++i) this->wallet_->transfer_async(this->req(kOne, "q-" + std::to_string(i)), answers.slot());
  // Nothing is answered while the engine holds them: an answer means durable.
  EXPECT_EQ(answers.count(), 0u);
  EXPECT_EQ(this->stored_transfers(), 0);
  release->set_value();
  const auto got = answers.wait_for(kN);
  ASSERT_EQ(got.size(), kN);
  std::set<int64_t> ids;
  for (const auto& t : got) {
    ASSERT_TRUE(t.ok()) << t.error().msg;
    EXPECT_FALSE(t->replayed);
    ids.insert(t->tran_id);
  }
  EXPECT_EQ(ids.size(), kN);
  EXPECT_EQ(this->stored_transfers(), static_cast<int64_t>(kN));
  EXPECT_EQ(this->free_of(this->alice_, "USDT"), 800 * kOne);
  EXPECT_EQ(this->free_of(this->bob_, "USDT"), 200 * kOne);
  // 200 transfers queued together, far fewer commits than transfers (the engine's batch may be
  // capped, so not necessarily one).
  EXPECT_LE(this->batches_.load() - before, 4);
  // After a restart every answered transfer is there, and sending one again changes nothing.
  this->restart();
  EXPECT_EQ(this->free_of(this->bob_, "USDT"), 200 * kOne);
  Answers replay;
  this->wallet_->transfer_async(this->req(kOne, "q-7"), replay.slot());
  const auto again = replay.wait_for(1);
  ASSERT_EQ(again.size(), 1u);
  ASSERT_TRUE(again[0].ok()) << again[0].error().msg;
  EXPECT_TRUE(again[0]->replayed);
  EXPECT_EQ(this->free_of(this->bob_, "USDT"), 200 * kOne);
}

TYPED_TEST(TransfersTest, OneClientTranIdInOneBatchMovesMoneyOnce) {
  this->fund(this->alice_, "USDT", 10 * kOne);
  Answers answers;
  auto release = this->hold_engine();
  this->wallet_->transfer_async(this->req(3 * kOne, "same"), answers.slot());
  this->wallet_->transfer_async(this->req(3 * kOne, "same"), answers.slot());
  this->wallet_->transfer_async(this->req(4 * kOne, "same"), answers.slot());  // another amount: a conflict
  release->set_value();
  const auto got = answers.wait_for(3);
  ASSERT_EQ(got.size(), 3u);
  ASSERT_TRUE(got[0].ok() && got[1].ok());
  EXPECT_FALSE(got[0]->replayed);
  EXPECT_TRUE(got[1]->replayed);
  EXPECT_EQ(got[1]->tran_id, got[0]->tran_id);
  this->expect_error(got[2], err::kIdempotencyConflict.code);
  EXPECT_EQ(this->free_of(this->alice_, "USDT"), 7 * kOne);
  EXPECT_EQ(this->stored_transfers(), 1);
}

TYPED_TEST(TransfersTest, RefusalsAnswerWithoutAJournalEntry) {
  this->fund(this->alice_, "USDT", 5 * kOne);
  const size_t entries = this->wallet_->verify().entries;
  Answers answers;
  // Refused before the engine: answered before transfer_async returns.
  this->wallet_->transfer_async({this->alice_, this->bob_, "DOGE", kOne, "a"}, answers.slot());
  this->wallet_->transfer_async({this->alice_, this->alice_, "USDT", kOne, "b"}, answers.slot());
  this->wallet_->transfer_async(this->req(0, "c"), answers.slot());
  EXPECT_EQ(answers.count(), 3u);
  // Refused by the ledger: more than the free balance.
  this->wallet_->transfer_async(this->req(6 * kOne, "d"), answers.slot());
  const auto got = answers.wait_for(4);
  ASSERT_EQ(got.size(), 4u);
  this->expect_error(got[0], err::kUnknownAsset.code);
  this->expect_error(got[1], err::kSelfTransfer.code);
  this->expect_error(got[2], err::kBadParam.code);
  this->expect_error(got[3], -2010);
  EXPECT_EQ(this->wallet_->verify().entries, entries);
  EXPECT_EQ(this->stored_transfers(), 0);
  EXPECT_EQ(this->free_of(this->alice_, "USDT"), 5 * kOne);
}

}  // namespace
}  // namespace kg::wallet
