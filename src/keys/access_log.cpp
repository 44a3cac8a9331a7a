#include "keys/access_log.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace kg::keys {

namespace {
constexpr int64_t kLastUseEveryMs = 10'000;
constexpr int64_t kPastTheSecondMs = 2;  // so that the clock has surely moved on
}  // namespace

AccessLog::AccessLog(store::Store& store, const Clock& clock, size_t retention, std::chrono::milliseconds flush_every)
    : store_(store), clock_(clock), retention_(retention), flush_every_(flush_every) {
  if (flush_every_.count() > 0) thread_ = std::thread([this] { run(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  flush();
}

void AccessLog::record(const KeyEntry& key, std::string_view ip, std::string_view method, std::string_view path,
                       int status, std::string reason, int64_t now_ms) {
  const int64_t now = now_ms != 0 ? now_ms : clock_.now_ms();
  const bool ok = reason.empty() && status < 400;
  if (ok && key.usage) {
    key.usage->last_used_at.store(now, std::memory_order_relaxed);
    // The IP rarely changes: compare a hash before taking the lock.
    const uint64_t ip_hash = std::hash<std::string_view>{}(ip);
    if (key.usage->last_used_ip_hash.load(std::memory_order_relaxed) != ip_hash) {
      std::lock_guard lock(key.usage->mu);
      key.usage->last_used_ip = ip;
      key.usage->last_used_ip_hash.store(ip_hash, std::memory_order_relaxed);
    }
  }
  std::lock_guard lock(mu_);
  if (ok) {
    KeyUsage* usage = key.usage.get();
    if (usage && usage->used_batch != batch_) {
      usage->used_batch = batch_;
      used_.emplace_back(key.key.id, key.usage);
    }
    if (usage && usage->pending_batch == batch_) {
      AccessEntry& last = pending_[usage->pending_index];
      if (last.at / 1000 == now / 1000 && last.status == status && last.ip == ip && last.path == path &&
          last.method == method) {
        ++last.count;
        return;
      }
    }
    if (usage) {
      usage->pending_batch = batch_;
      usage->pending_index = pending_.size();
    }
  }
  // A new row: count it towards the key's next cut.
  if (!key.usage || ++key.usage->untrimmed_rows >= std::max<size_t>(1, retention_ / 10)) {
    if (key.usage) key.usage->untrimmed_rows = 0;
    to_trim_.push_back(key.key.id);
  }
  pending_.push_back({key.key.id, now, std::string(ip), std::string(method), std::string(path), ok, status,
                      std::move(reason), 1});
}

void AccessLog::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // Whole seconds: flushing just after a second ends gives a busy key one row for that second,
    // where a flush in the middle of one splits it into two.
    auto wait = flush_every_;
    const int64_t every = flush_every_.count();
    if (every >= 1000) wait = std::chrono::milliseconds(every - clock_.now_ms() % every + kPastTheSecondMs);
    cv_.wait_for(lock, wait, [this] { return stopping_; });
    lock.unlock();
    try {
      write_pending(true);
    } catch (const std::exception& e) {
      spdlog::error("event=access_log_flush_failed error=\"{}\"", e.what());
    }
    lock.lock();
  }
}

void AccessLog::write_pending(bool defer_last_use) {
  std::lock_guard flush_lock(flush_mu_);
  std::vector<AccessEntry> batch;
  std::vector<std::pair<int64_t, std::shared_ptr<KeyUsage>>> used;
  std::vector<int64_t> trim;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
    used.swap(used_);
    trim.swap(to_trim_);
    ++batch_;  // every key's pending_index now points into the old batch
  }
  // Last uses to write now, and those kept for a later flush (their store's is recent).
  const int64_t now = clock_.now_ms();
  struct LastUse {
    int64_t key_id;
    std::shared_ptr<KeyUsage> usage;
    int64_t at;
  };
  std::vector<LastUse> write;
  std::vector<std::pair<int64_t, std::shared_ptr<KeyUsage>>> later;
  for (auto& [key_id, u] : used) {
    const int64_t at = u->last_used_at.load(std::memory_order_relaxed);
    if (at <= u->stored_at) continue;
    if (defer_last_use && now - u->stored_at < kLastUseEveryMs) {
      later.emplace_back(key_id, std::move(u));
    } else {
      write.push_back({key_id, std::move(u), at});
    }
  }
  std::sort(trim.begin(), trim.end());
  trim.erase(std::unique(trim.begin(), trim.end()), trim.end());
  if (!batch.empty() || !write.empty() || !trim.empty()) {
    store_.tx([&](store::Db& db) {
      for (const auto& e : batch) {
        // A key deleted meanwhile takes its log with it.
        db.exec("INSERT INTO key_access_log (key_id, at, ip, method, path, ok, status, reason, count) "
                "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ?)",
                {e.key_id, e.at, e.ip, e.method, e.path, int64_t{e.ok ? 1 : 0}, int64_t{e.status}, e.reason,
                 e.count, e.key_id});
      }
      for (const auto& w : write) {
        std::string ip;
        {
          std::lock_guard lock(w.usage->mu);
          ip = w.usage->last_used_ip;
        }
        db.exec("UPDATE api_keys SET last_used_at = ?, last_used_ip = ? WHERE id = ? AND last_used_at < ?",
                {w.at, ip, w.key_id, w.at});
      }
      for (const int64_t key_id : trim) {
        db.exec("DELETE FROM key_access_log WHERE key_id = ? AND id <= (SELECT id FROM key_access_log "
                "WHERE key_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                {key_id, key_id, static_cast<int64_t>(retention_)});
      }
    });
    for (const auto& w : write) w.usage->stored_at = w.at;
  }
  if (later.empty()) return;
  std::lock_guard lock(mu_);
  for (auto& [key_id, u] : later) {
    if (u->used_batch == batch_) continue;  // used again since the swap: already in used_
    u->used_batch = batch_;
    used_.emplace_back(key_id, std::move(u));
  }
}

std::vector<AccessEntry> AccessLog::recent(int64_t key_id, size_t limit) {
  flush();
  return store_.tx([&](store::Db& db) {
    std::vector<AccessEntry> out;
    for (const auto& r : db.query("SELECT key_id, at, ip, method, path, ok, status, reason, count FROM key_access_log "
                                  "WHERE key_id = ? ORDER BY id DESC LIMIT ?",
                                  {key_id, static_cast<int64_t>(limit)})) {
      out.push_back({r.int64(0), r.int64(1), r.text(2), r.text(3), r.text(4), r.boolean(5),
                     static_cast<int>(r.int64(6)), r.text(7), r.int64(8)});
    }
    return out;
  });
}

}  // namespace kg::keys
