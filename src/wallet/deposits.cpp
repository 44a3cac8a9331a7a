// Deposits on the simulated chain: addresses, recording incoming transactions, crediting them
// once their confirmations have passed, and the history.

#include <spdlog/spdlog.h>

#include "crypto/random.hpp"
#include "ledger/entries.hpp"
#include "wallet/wallet.hpp"

namespace kg::wallet {

namespace {
constexpr const char* kDepositColumns =
    "id, txid, user_id, asset, network, address, tag, amount, status, confirmations_needed, seen_at, credited_at, "
    "entry_id";

ChainDeposit deposit_from_row(const store::Row& r) {
  ChainDeposit d;
  d.id = r.int64(0);
  d.tx.txid = r.text(1);
  d.user_id = r.int64(2);
  d.tx.asset = r.text(3);
  d.tx.network = r.text(4);
  d.tx.address = r.text(5);
  d.tx.tag = r.text(6);
  d.tx.amount = r.int64(7);
  d.status = static_cast<DepositStatus>(r.int64(8));
  d.confirmations_needed = static_cast<int>(r.int64(9));
  d.seen_at = r.int64(10);
  d.credited_at = r.int64(11);
  d.entry_id = r.is_null(12) ? 0 : r.int64(12);
  return d;
}

bool same_tx(const ChainDeposit& d, int64_t user_id, const ChainTx& tx) {
  return d.user_id == user_id && d.tx.asset == tx.asset && d.tx.network == tx.network && d.tx.address == tx.address &&
         d.tx.tag == tx.tag && d.tx.amount == tx.amount;
}
}  // namespace

void Wallet::load_deposits() {
  store_.tx([&](store::Db& db) {
    for (const auto& r : db.query(std::string("SELECT ") + kDepositColumns + " FROM chain_deposits ORDER BY id")) {
      ChainDeposit d = deposit_from_row(r);
      next_deposit_id_ = std::max(next_deposit_id_, d.id + 1);
      if (d.status == DepositStatus::kPending) pending_deposits_.push_back(d.tx.txid);
      deposits_.emplace(d.tx.txid, std::move(d));
    }
  });
}

Result<DepositAddress> Wallet::deposit_address(int64_t user_id, const std::string& asset, const std::string& network) {
  auto n = network_of(asset, network);
  if (!n) return n.error();
  const Network& net = **n;
  if (!net.deposit_enable) return make_error(err::kNetworkSuspended, "Deposit", asset, net.name);
  return store_.tx([&](store::Db& db) -> Result<DepositAddress> {
    auto row = db.query_one("SELECT address, tag FROM deposit_addresses WHERE user_id = ? AND network = ?",
                            {user_id, net.name});
    if (row) return DepositAddress{asset, net.name, row->text(0), row->text(1)};
    for (int attempt = 0; attempt < 8; ++attempt) {
      DepositAddressParts made = make_deposit_address(net);
      if (db.query_one("SELECT 1 FROM deposit_addresses WHERE network = ? AND address = ? AND tag = ?",
                       {net.name, made.address, made.tag})) {
        continue;  // taken: draw again
      }
      db.exec("INSERT INTO deposit_addresses (user_id, network, address, tag, created_at) VALUES (?, ?, ?, ?, ?)",
              {user_id, net.name, made.address, made.tag, clock_.now_ms()});
      spdlog::info("event=deposit_address_created uid={} network={}", user_id, net.name);
      return DepositAddress{asset, net.name, made.address, made.tag};
    }
    throw std::runtime_error("could not draw a free deposit address");
  });
}

Result<ChainDeposit> Wallet::record_deposit(ChainTx tx) {
  const Asset* asset = exchange_.find_asset(tx.asset);
  if (!asset) return make_error(err::kUnknownAsset, tx.asset);
  if (tx.amount <= 0) return make_error(err::kBadParam, "amount");
  if (tx.txid.empty()) tx.txid = "sim-" + crypto::random_hex(16);
  if (tx.txid.size() > 128) return make_error(err::kBadParam, "txid");
  if (!tx.network.empty() && !asset->find_network(tx.network)) return make_error(err::kUnknownNetwork, tx.network, tx.asset);
  // Whose address is it? On the given network, or on any of the asset's networks.
  int64_t user_id = 0;
  store_.tx([&](store::Db& db) {
    for (const auto& n : asset->networks) {
      if (!tx.network.empty() && n.name != tx.network) continue;
      if (auto r = db.query_one("SELECT user_id FROM deposit_addresses WHERE network = ? AND address = ? AND tag = ?",
                                {n.name, tx.address, tx.tag})) {
        user_id = r->int64(0);
        tx.network = n.name;
        return;
      }
    }
  });
  if (user_id == 0) return make_error(err::kUnknownDepositAddress, tx.address, tx.network.empty() ? tx.asset : tx.network);
  const Network& net = *asset->find_network(tx.network);
  if (!net.deposit_enable) return make_error(err::kNetworkSuspended, "Deposit", tx.asset, net.name);
  const int needed = confirmations_needed(net);

  return engine_.submit<Result<ChainDeposit>>([this, tx, user_id, needed](engine::Batch& batch) -> Result<ChainDeposit> {
           if (auto it = deposits_.find(tx.txid); it != deposits_.end()) {
             if (!same_tx(it->second, user_id, tx)) return make_error(err::kTxidConflict, tx.txid);
             ChainDeposit again = it->second;
             again.already_recorded = true;
             return again;
           }
           ChainDeposit d;
           d.id = next_deposit_id_;
           d.user_id = user_id;
           d.tx = tx;
           d.confirmations_needed = needed;
           d.seen_at = batch.now_ms();
           if (needed == 0) {
             // Credit first: a credit that cannot be applied (an overflowing balance) records nothing.
             if (auto s = credit(batch, d); !s) return s.error();
           }
           ++next_deposit_id_;
           batch.also([d](store::Db& db) {
             db.exec("INSERT INTO chain_deposits (id, txid, user_id, asset, network, address, tag, amount, status, "
                     "confirmations_needed, seen_at, credited_at, entry_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     {d.id, d.tx.txid, d.user_id, d.tx.asset, d.tx.network, d.tx.address, d.tx.tag, d.tx.amount,
                      int64_t{static_cast<int>(d.status)}, int64_t{d.confirmations_needed}, d.seen_at, d.credited_at,
                      d.entry_id == 0 ? store::Value(nullptr) : store::Value(d.entry_id)});
           });
           if (d.status == DepositStatus::kPending) pending_deposits_.push_back(d.tx.txid);
           deposits_.emplace(d.tx.txid, d);
           return d;
         })
      .get();
}

// Engine thread: posts the credit and marks the deposit credited (the caller writes the row).
Status Wallet::credit(engine::Batch& batch, ChainDeposit& d) {
  const int64_t entry_id = batch.next_entry_id();
  if (auto s = batch.post(ledger::deposit(0, 0, d.user_id, d.tx.asset, d.tx.amount, d.tx.txid)); !s) return s;
  d.status = DepositStatus::kCredited;
  d.credited_at = batch.now_ms();
  d.entry_id = entry_id;
  return ok_status();
}

int Wallet::confirmations(const ChainDeposit& d) const {
  if (d.status == DepositStatus::kCredited) return d.confirmations_needed;
  const int64_t blocks = (clock_.now_ms() - d.seen_at) / std::max<int64_t>(config_.block_ms, 1);
  return static_cast<int>(std::min<int64_t>(blocks, d.confirmations_needed));
}

std::vector<ChainDeposit> Wallet::deposits_of(int64_t user_id, const DepositQuery& q) {
  return store_.tx([&](store::Db& db) {
    std::vector<ChainDeposit> out;
    const int64_t status = q.status ? *q.status : -1;
    for (const auto& r : db.query(std::string("SELECT ") + kDepositColumns +
                                      " FROM chain_deposits WHERE user_id = ? AND (? = '' OR asset = ?) "
                                      "AND (? < 0 OR status = ?) AND seen_at >= ? AND seen_at <= ? "
                                      "AND (? = '' OR txid = ?) ORDER BY id DESC LIMIT ? OFFSET ?",
                                  {user_id, q.asset, q.asset, status, status, q.start_ms, q.end_ms, q.txid, q.txid,
                                   static_cast<int64_t>(q.limit), static_cast<int64_t>(q.offset)})) {
      out.push_back(deposit_from_row(r));
    }
    return out;
  });
}

size_t Wallet::tick() {
  return engine_
      .submit<size_t>([this](engine::Batch& batch) {
        size_t changed = 0;
        const int64_t now = batch.now_ms();
        std::vector<std::string> still_pending;
        for (const auto& txid : pending_deposits_) {
          ChainDeposit& d = deposits_.at(txid);
          if (now - d.seen_at < d.confirmations_needed * config_.block_ms) {
            still_pending.push_back(txid);
            continue;
          }
          if (auto s = credit(batch, d); !s) {
            spdlog::error("event=deposit_credit_failed txid={} error=\"{}\"", txid, s.error().msg);
            still_pending.push_back(txid);
            continue;
          }
          batch.also([d](store::Db& db) {
            db.exec("UPDATE chain_deposits SET status = ?, credited_at = ?, entry_id = ? WHERE id = ?",
                    {int64_t{static_cast<int>(d.status)}, d.credited_at, d.entry_id, d.id});
          });
          ++changed;
        }
        pending_deposits_ = std::move(still_pending);
        changed += complete_due_withdrawals(batch);
        return changed;
      })
      .get();
}

}  // namespace kg::wallet
