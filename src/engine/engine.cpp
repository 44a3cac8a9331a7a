#include "engine/engine.hpp"

#include <spdlog/spdlog.h>

#include "store/rows.hpp"

#include <cstdlib>
#include <cstring>

namespace kg::engine {

namespace {
constexpr size_t kMaxBatch = 1024;  // commands per group commit
}

Status Batch::post(ledger::Entry entry) {
  entry.id = next_id_;
  entry.at_ms = now_ms_;
  if (auto s = ledger_.apply(entry); !s) return s;
  ++next_id_;
  entries_.push_back(std::move(entry));
  return ok_status();
}

void Batch::insert(const char* table_columns, std::vector<store::Value> row) {
  for (auto& r : inserts_) {
    if (r.table_columns == table_columns || std::strcmp(r.table_columns, table_columns) == 0) {
      r.values.insert(r.values.end(), std::make_move_iterator(row.begin()), std::make_move_iterator(row.end()));
      return;
    }
  }
  const size_t columns = row.size();
  inserts_.push_back(Rows{table_columns, columns, std::move(row)});
}

Engine::Engine(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

Engine::~Engine() { stop(); }

std::vector<ledger::Entry> Engine::load_journal() {
  auto rows = store_.tx([](store::Db& db) {
    return db.query(
        "SELECT e.id, e.at, e.kind, e.reference, p.account_kind, p.owner, p.asset, p.amount "
        "FROM journal_entries e JOIN journal_postings p ON p.entry_id = e.id ORDER BY e.id, p.seq");
  });
  std::vector<ledger::Entry> entries;
  for (const auto& r : rows) {
    if (entries.empty() || entries.back().id != r.int64(0)) {
      ledger::Entry e;
      e.id = r.int64(0);
      e.at_ms = r.int64(1);
      e.kind = r.text(2);
      e.reference = r.text(3);
      entries.push_back(std::move(e));
    }
    entries.back().postings.push_back(
        {ledger::AccountRef{static_cast<ledger::AccountKind>(r.int64(4)), r.int64(5)}, r.text(6), r.int64(7)});
  }
  return entries;
}

size_t Engine::recover() {
  auto entries = load_journal();
  for (const auto& e : entries) {
    if (auto s = ledger_.apply(e); !s) {
      spdlog::critical("event=recovery_failed entry={} error=\"{}\"", e.id, s.error().msg);
      std::abort();  // the journal is the truth; a journal that does not replay is not to be served
    }
    next_entry_id_ = e.id + 1;
  }
  committed_.publish_all(ledger_);
  spdlog::info("event=ledger_recovered entries={} state_hash={:016x}", entries.size(), ledger_.state_hash());
  return entries.size();
}

void Engine::start() { thread_ = std::thread([this] { run(); }); }

void Engine::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Engine::enqueue(Job job) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void Engine::run() {
  for (;;) {
    std::vector<Job> jobs;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && jobs.size() < kMaxBatch) {
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    Batch batch(ledger_, next_entry_id_, clock_.now_ms());
    std::vector<std::function<void()>> replies;
    replies.reserve(jobs.size());
    for (auto& job : jobs) {
      try {
        replies.push_back(job(batch));
      } catch (const std::exception& e) {
        // A command that throws may have posted part of its effects; replying "failed" for state
        // that would then be committed is the one thing the engine must never do. Stop instead.
        spdlog::critical("event=command_threw error=\"{}\" action=exit", e.what());
        std::_Exit(70);
      }
    }
    commit(batch);
    committed_.publish(ledger_, batch.entries());
    for (auto& action : batch.committed()) action();
    if (commit_listener_ && !batch.entries().empty()) commit_listener_(batch);
    for (auto& reply : replies) reply();  // only now: the batch is durable
  }
}

void Engine::commit(Batch& batch) {
  if (batch.entries().empty() && batch.writes().empty() && batch.inserts().empty()) return;
  try {
    std::vector<store::Value> entries, postings;
    entries.reserve(batch.entries().size() * 4);
    postings.reserve(batch.entries().size() * 4 * 6);
    for (const auto& e : batch.entries()) {
      entries.insert(entries.end(), {e.id, e.at_ms, e.kind, e.reference});
      int64_t seq = 0;
      for (const auto& p : e.postings) {
        postings.insert(postings.end(),
                        {e.id, seq++, static_cast<int64_t>(p.account.kind), p.account.owner, p.asset, p.amount});
      }
    }
    store_.tx([&](store::Db& db) {
      store::insert_rows(db, "journal_entries (id, at, kind, reference)", 4, entries);
      store::insert_rows(db, "journal_postings (entry_id, seq, account_kind, owner, asset, amount)", 6, postings);
      for (const auto& rows : batch.inserts()) store::insert_rows(db, rows.table_columns, rows.columns, rows.values);
      for (auto& write : batch.writes()) write(db);
    });
  } catch (const std::exception& e) {
    // The ledger in memory is now ahead of the store: acknowledging anything more would be a lie.
    spdlog::critical("event=commit_failed error=\"{}\" action=exit", e.what());
    std::_Exit(70);
  }
}

}  // namespace kg::engine
