#pragma once
// The sequencer: commands in, durable effects and replies out. See README.md.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "engine/committed_balances.hpp"
#include "ledger/ledger.hpp"
#include "store/store.hpp"

namespace kg::engine {

// What a command may do while it runs on the engine thread: read and change the ledger through
// journal entries, and add its own rows to the batch's store transaction.
class Batch {
 public:
  Batch(ledger::Ledger& ledger, int64_t& next_entry_id, int64_t now_ms)
      : ledger_(ledger), next_id_(next_entry_id), now_ms_(now_ms) {}

  const ledger::Ledger& ledger() const { return ledger_; }
  const std::vector<ledger::Entry>& entries() const { return entries_; }
  int64_t now_ms() const { return now_ms_; }
  int64_t next_entry_id() const { return next_id_; }
  // Applies the entry (all or nothing) and queues it for the batch's commit.
  Status post(ledger::Entry entry);
  // Extra writes in the same transaction as the batch's journal (idempotency rows, histories).
  void also(std::function<void(store::Db&)> write) { writes_.push_back(std::move(write)); }
  // A new row, written with the batch's other new rows of its table in few statements
  // (store/rows.hpp), after the journal and before every `also` write (which may update it).
  // `table_columns` ("orders (order_id, ...)") must outlive the batch.
  void insert(const char* table_columns, std::vector<store::Value> row);
  // Runs on the engine thread once the batch is durable, before any reply is released, in the
  // order the commands asked: how committed events reach readers (market data, streams).
  void on_commit(std::function<void()> action) { committed_.push_back(std::move(action)); }

  std::vector<ledger::Entry>& entries() { return entries_; }
  std::vector<std::function<void(store::Db&)>>& writes() { return writes_; }
  struct Rows {
    const char* table_columns;
    size_t columns;
    std::vector<store::Value> values;
  };
  std::vector<Rows>& inserts() { return inserts_; }
  std::vector<std::function<void()>>& committed() { return committed_; }

 private:
  ledger::Ledger& ledger_;
  int64_t& next_id_;
  int64_t now_ms_;
  std::vector<ledger::Entry> entries_;
  std::vector<std::function<void(store::Db&)>> writes_;
  std::vector<Rows> inserts_;
  std::vector<std::function<void()>> committed_;
};

class Engine {
 public:
  Engine(store::Store& store, const Clock& clock);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Rebuilds the ledger from the journal; call once before start(). Returns the entries replayed.
  size_t recover();
  void start();
  void stop();

  // Runs `command` on the engine thread; the future is ready once its effects are durable.
  template <typename T>
  std::future<T> submit(std::function<T(Batch&)> command) {
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    enqueue([command = std::move(command), promise](Batch& batch) -> std::function<void()> {
      auto value = std::make_shared<T>(command(batch));
      return [promise, value] { promise->set_value(std::move(*value)); };
    });
    return future;
  }

  // Runs on the engine thread after every batch is durable, after its on_commit actions and before
  // its replies, with the batch (its entries, and the ledger as it now is): how balance changes
  // reach the user streams. Set before start(); must not block.
  void set_commit_listener(std::function<void(const Batch&)> listener) { commit_listener_ = std::move(listener); }

  // Runs `command` on the engine thread and hands its result to `reply`, on the engine thread, once
  // its effects are durable: for callers that must not hold a thread while they wait (the network
  // layer). `reply` must be quick: hand the value on, do not work on it.
  template <typename T>
  void submit_then(std::function<T(Batch&)> command, std::function<void(T&&)> reply) {
    enqueue([command = std::move(command), reply = std::move(reply)](Batch& batch) -> std::function<void()> {
      auto value = std::make_shared<T>(command(batch));
      return [reply, value] { reply(std::move(*value)); };
    });
  }

  // What the user holds as of the last durable batch, from any thread, without a trip through the
  // queue: every acknowledged change is in it, nothing uncommitted is.
  CommittedBalances::Held balances_of(int64_t user) const { return committed_.of(user); }

  // The journal as stored, for verification (`keygate admin ledger verify`).
  std::vector<ledger::Entry> load_journal();

 private:
  // A queued command returns the action that releases its reply after the commit.
  using Job = std::function<std::function<void()>(Batch&)>;
  void enqueue(Job job);
  void run();
  void commit(Batch& batch);

  store::Store& store_;
  const Clock& clock_;
  ledger::Ledger ledger_;
  int64_t next_entry_id_ = 1;

  CommittedBalances committed_;
  std::function<void(const Batch&)> commit_listener_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kg::engine
