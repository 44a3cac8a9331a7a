// Withdrawals: applying (balance, per-key daily cap and idempotency decided on the engine
// thread, so concurrent requests cannot overdraw either), the operator's approvals, the simulated
// chain completing them, and the history.

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/decimal.hpp"
#include "crypto/random.hpp"
#include "ledger/entries.hpp"
#include "wallet/wallet.hpp"

namespace kg::wallet {

namespace {
constexpr int64_t kDayMs = 86'400'000;

constexpr const char* kWithdrawColumns =
    "id, user_id, key_id, withdraw_order_id, asset, network, address, tag, amount, fee, status, txid, info, "
    "applied_at, updated_at";

Withdrawal withdrawal_from_row(const store::Row& r) {
  Withdrawal w;
  w.id = r.int64(0);
  WithdrawRequest& q = w.request;
  q.user_id = r.int64(1);
  q.key_id = r.int64(2);
  q.withdraw_order_id = r.text(3);
  q.asset = r.text(4);
  q.network = r.text(5);
  q.address = r.text(6);
  q.tag = r.text(7);
  q.amount = r.int64(8);
  w.fee = r.int64(9);
  w.status = static_cast<WithdrawStatus>(r.int64(10));
  w.txid = r.text(11);
  w.info = r.text(12);
  w.applied_at = r.int64(13);
  w.updated_at = r.int64(14);
  return w;
}

std::string order_key(int64_t user_id, const std::string& withdraw_order_id) {
  return std::to_string(user_id) + ":" + withdraw_order_id;
}

std::string entry_ref(int64_t id) { return "withdrawal:" + std::to_string(id); }

void write_status(engine::Batch& batch, const Withdrawal& w, int64_t final_entry) {
  batch.also([w, final_entry](store::Db& db) {
    db.exec("UPDATE withdrawals SET status = ?, txid = ?, info = ?, updated_at = ?, final_entry = ? WHERE id = ?",
            {int64_t{static_cast<int>(w.status)}, w.txid, w.info, w.updated_at,
             final_entry == 0 ? store::Value(nullptr) : store::Value(final_entry), w.id});
  });
}
}  // namespace

const char* status_name(WithdrawStatus s) {
  switch (s) {
    case WithdrawStatus::kAwaitingApproval: return "awaiting approval";
    case WithdrawStatus::kRejected: return "rejected";
    case WithdrawStatus::kProcessing: return "processing";
    case WithdrawStatus::kFailed: return "failed";
    case WithdrawStatus::kCompleted: return "completed";
  }
  return "unknown";
}

void Wallet::load_withdrawals() {
  const int64_t since = clock_.now_ms() - kDayMs;
  store_.tx([&](store::Db& db) {
    for (const auto& r : db.query(std::string("SELECT ") + kWithdrawColumns + " FROM withdrawals ORDER BY id")) {
      Withdrawal w = withdrawal_from_row(r);
      next_withdrawal_id_ = std::max(next_withdrawal_id_, w.id + 1);
      if (!is_final(w.status)) open_withdrawals_.emplace(w.id, w);
      const bool counts = w.status != WithdrawStatus::kRejected && w.status != WithdrawStatus::kFailed;
      if (counts && w.applied_at >= since) {
        recent_withdrawals_.push_back({w.id, w.applied_at, w.request.key_id, w.request.asset, w.request.amount});
      }
      if (!w.request.withdraw_order_id.empty()) {
        withdraw_orders_.emplace(order_key(w.request.user_id, w.request.withdraw_order_id), w);
      }
    }
  });
}

int64_t Wallet::used_today(const WithdrawRequest& r, int64_t now_ms) const {
  int64_t used = 0;
  for (const auto& w : recent_withdrawals_) {
    if (w.key_id == r.key_id && w.asset == r.asset && w.at_ms > now_ms - kDayMs) used += w.amount;
  }
  return used;
}

Result<Withdrawal> Wallet::withdraw(WithdrawRequest req) {
  auto net = network_of(req.asset, req.network);
  if (!net) return net.error();
  const Network& n = **net;
  req.network = n.name;
  if (req.amount <= 0) return make_error(err::kBadParam, "amount");
  const int64_t fee = n.withdraw_fee;
  const bool needs_approval = n.approval_above > 0 && req.amount > n.approval_above;
  return engine_.submit<Result<Withdrawal>>([this, req, fee, needs_approval](engine::Batch& batch) -> Result<Withdrawal> {
           const int64_t now = batch.now_ms();
           if (!req.withdraw_order_id.empty()) {
             if (auto it = withdraw_orders_.find(order_key(req.user_id, req.withdraw_order_id)); it != withdraw_orders_.end()) {
               if (!it->second.request.same_order(req)) return make_error(err::kWithdrawIdConflict);
               Withdrawal first = it->second;
               first.replayed = true;
               return first;
             }
           }
           std::erase_if(recent_withdrawals_, [now](const Recent& r) { return r.at_ms <= now - kDayMs; });
           if (req.key_daily_cap > 0) {
             const int64_t used = used_today(req, now);
             if (used + req.amount > req.key_daily_cap) {
               return make_error(err::kKeyDailyCap, format_decimal(req.key_daily_cap, kAmountScale), req.asset,
                                 format_decimal(std::max<int64_t>(req.key_daily_cap - used, 0), kAmountScale));
             }
           }
           Withdrawal w;
           w.id = next_withdrawal_id_;
           w.request = req;
           w.fee = fee;
           w.status = needs_approval ? WithdrawStatus::kAwaitingApproval : WithdrawStatus::kProcessing;
           w.applied_at = w.updated_at = now;
           const int64_t entry_id = batch.next_entry_id();
           if (auto s = batch.post(ledger::withdraw_request(0, 0, req.user_id, req.asset, req.amount, fee, entry_ref(w.id)));
               !s) {
             return s.error();
           }
           ++next_withdrawal_id_;
           open_withdrawals_.emplace(w.id, w);
           recent_withdrawals_.push_back({w.id, now, req.key_id, req.asset, req.amount});
           if (!req.withdraw_order_id.empty()) withdraw_orders_.emplace(order_key(req.user_id, req.withdraw_order_id), w);
           batch.also([w, entry_id](store::Db& db) {
             const WithdrawRequest& q = w.request;
             db.exec("INSERT INTO withdrawals (id, user_id, key_id, withdraw_order_id, asset, network, address, tag, amount, "
                     "fee, status, txid, info, applied_at, updated_at, request_entry) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     {w.id, q.user_id, q.key_id, q.withdraw_order_id, q.asset, q.network, q.address, q.tag, q.amount, w.fee,
                      int64_t{static_cast<int>(w.status)}, w.txid, w.info, w.applied_at, w.updated_at, entry_id});
           });
           spdlog::info("event=withdrawal_applied id={} uid={} key_id={} asset={} network={} amount={} status={}", w.id,
                        req.user_id, req.key_id, req.asset, req.network, format_decimal(req.amount, kAmountScale),
                        static_cast<int>(w.status));
           return w;
         })
      .get();
}

// Engine thread: processing withdrawals whose delay has passed leave for the chain.
size_t Wallet::complete_due_withdrawals(engine::Batch& batch) {
  const int64_t now = batch.now_ms();
  size_t done = 0;
  for (auto it = open_withdrawals_.begin(); it != open_withdrawals_.end();) {
    Withdrawal& w = it->second;
    if (w.status != WithdrawStatus::kProcessing || now - w.updated_at < config_.withdraw_delay_ms) {
      ++it;
      continue;
    }
    const int64_t entry_id = batch.next_entry_id();
    if (auto s = batch.post(ledger::withdraw_complete(0, 0, w.request.asset, w.request.amount, entry_ref(w.id))); !s) {
      // Pending withdrawal always holds what its withdrawals owe; this is a bug, not a state.
      spdlog::critical("event=withdraw_complete_failed id={} error=\"{}\"", w.id, s.error().msg);
      ++it;
      continue;
    }
    w.status = WithdrawStatus::kCompleted;
    w.txid = crypto::random_hex(32);
    w.updated_at = now;
    write_status(batch, w, entry_id);
    if (auto o = withdraw_orders_.find(order_key(w.request.user_id, w.request.withdraw_order_id));
        o != withdraw_orders_.end() && o->second.id == w.id) {
      o->second = w;
    }
    spdlog::info("event=withdrawal_completed id={} uid={}", w.id, w.request.user_id);
    it = open_withdrawals_.erase(it);
    ++done;
  }
  return done;
}

Result<Withdrawal> Wallet::change_withdrawal(int64_t id, WithdrawStatus to, const std::string& info) {
  auto changed = engine_
                     .submit<Result<Withdrawal>>([this, id, to, info](engine::Batch& batch) -> Result<Withdrawal> {
                       auto it = open_withdrawals_.find(id);
                       if (it == open_withdrawals_.end()) return make_error(err::kNoWithdrawal);
                       Withdrawal& w = it->second;
                       const bool awaiting = w.status == WithdrawStatus::kAwaitingApproval;
                       if (to == WithdrawStatus::kProcessing && !awaiting) {
                         return make_error(err::kWithdrawalState, status_name(w.status), "awaiting approval", "approved");
                       }
                       if (to == WithdrawStatus::kFailed && awaiting) {
                         return make_error(err::kWithdrawalState, status_name(w.status), "processing", "failed");
                       }
                       int64_t entry_id = 0;
                       if (to != WithdrawStatus::kProcessing) {
                         // Rejected or failed: amount and fee go back, exactly as they came.
                         entry_id = batch.next_entry_id();
                         if (auto s = batch.post(ledger::withdraw_return(0, 0, w.request.user_id, w.request.asset,
                                                                         w.request.amount, w.fee, entry_ref(w.id)));
                             !s) {
                           return s.error();
                         }
                         std::erase_if(recent_withdrawals_, [id](const Recent& r) { return r.id == id; });
                       }
                       w.status = to;
                       w.info = info;
                       w.updated_at = batch.now_ms();
                       write_status(batch, w, entry_id);
                       Withdrawal out = w;
                       if (is_final(to)) open_withdrawals_.erase(it);
                       if (auto o = withdraw_orders_.find(order_key(out.request.user_id, out.request.withdraw_order_id));
                           o != withdraw_orders_.end() && o->second.id == out.id) {
                         o->second = out;
                       }
                       return out;
                     })
                     .get();
  if (!changed && changed.error().code == err::kNoWithdrawal.code) {
    // Not open: finished (say so) or not there at all.
    auto row = store_.tx([&](store::Db& db) { return db.query_one("SELECT status FROM withdrawals WHERE id = ?", {id}); });
    if (row) {
      const auto status = static_cast<WithdrawStatus>(row->int64(0));
      const char* verb = to == WithdrawStatus::kProcessing ? "approved" : to == WithdrawStatus::kRejected ? "rejected" : "failed";
      const char* from = to == WithdrawStatus::kProcessing ? "awaiting approval" : "open";
      return make_error(err::kWithdrawalState, status_name(status), from, verb);
    }
  }
  if (changed) spdlog::info("event=withdrawal_{} id={}", status_name(changed->status), id);
  return changed;
}

Result<Withdrawal> Wallet::approve_withdrawal(int64_t id) { return change_withdrawal(id, WithdrawStatus::kProcessing, ""); }
Result<Withdrawal> Wallet::reject_withdrawal(int64_t id, const std::string& reason) {
  return change_withdrawal(id, WithdrawStatus::kRejected, reason.empty() ? "rejected by the operator" : reason);
}
Result<Withdrawal> Wallet::fail_withdrawal(int64_t id, const std::string& reason) {
  return change_withdrawal(id, WithdrawStatus::kFailed, reason.empty() ? "the chain refused the transaction" : reason);
}

std::vector<Withdrawal> Wallet::open_withdrawals() {
  return engine_
      .submit<std::vector<Withdrawal>>([this](engine::Batch&) {
        std::vector<Withdrawal> out;
        for (const auto& [id, w] : open_withdrawals_) out.push_back(w);
        std::sort(out.begin(), out.end(), [](const Withdrawal& a, const Withdrawal& b) { return a.id < b.id; });
        return out;
      })
      .get();
}

std::vector<Withdrawal> Wallet::withdrawals_of(int64_t user_id, const WithdrawQuery& q) {
  return store_.tx([&](store::Db& db) {
    std::vector<Withdrawal> out;
    const int64_t status = q.status ? *q.status : -1;
    // An id list is filtered here (it is short); without one the store pages.
    const int64_t limit = q.ids.empty() ? static_cast<int64_t>(q.limit) : -1;
    const int64_t offset = q.ids.empty() ? static_cast<int64_t>(q.offset) : 0;
    for (const auto& r : db.query(std::string("SELECT ") + kWithdrawColumns +
                                      " FROM withdrawals WHERE user_id = ? AND (? = '' OR asset = ?) "
                                      "AND (? < 0 OR status = ?) AND applied_at >= ? AND applied_at <= ? "
                                      "AND (? = '' OR withdraw_order_id = ?) ORDER BY id DESC LIMIT ? OFFSET ?",
                                  {user_id, q.asset, q.asset, status, status, q.start_ms, q.end_ms, q.withdraw_order_id,
                                   q.withdraw_order_id, limit < 0 ? INT64_MAX : limit, offset})) {
      Withdrawal w = withdrawal_from_row(r);
      if (!q.ids.empty() && std::find(q.ids.begin(), q.ids.end(), w.id) == q.ids.end()) continue;
      out.push_back(std::move(w));
    }
    if (!q.ids.empty() && out.size() > q.limit) out.resize(q.limit);
    return out;
  });
}

}  // namespace kg::wallet
