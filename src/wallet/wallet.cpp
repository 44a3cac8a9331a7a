#include "wallet/wallet.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "ledger/entries.hpp"

namespace kg::wallet {

using ledger::AccountKind;

Wallet::Wallet(engine::Engine& engine, store::Store& store, const ExchangeSpec& exchange, const WalletConfig& config,
               const Clock& clock)
    : engine_(engine), store_(store), exchange_(exchange), config_(config), clock_(clock), rules_(exchange) {}

namespace {
std::string transfer_key(int64_t from_user, const std::string& client_tran_id) {
  return std::to_string(from_user) + ":" + client_tran_id;
}

Transfer transfer_from_row(const store::Row& r) {
  return Transfer{r.int64(0), TransferRequest{r.int64(1), r.int64(2), r.text(3), r.int64(4), r.text(5)}, r.int64(6), false};
}

constexpr const char* kTransferColumns = "tran_id, from_user, to_user, asset, amount, client_tran_id, created_at";
}  // namespace

void Wallet::load() {
  load_deposits();
  load_withdrawals();
  store_.tx([&](store::Db& db) {
    for (const auto& r : db.query(std::string("SELECT ") + kTransferColumns + " FROM transfers")) {
      Transfer t = transfer_from_row(r);
      transfers_.emplace(transfer_key(t.request.from_user, t.request.client_tran_id), t);
    }
  });
}

bool Wallet::known_asset(const std::string& asset) const { return exchange_.find_asset(asset) != nullptr; }

Result<const Network*> Wallet::network_of(const std::string& asset, const std::string& network) const {
  const Asset* a = exchange_.find_asset(asset);
  if (!a) return make_error(err::kUnknownAsset, asset);
  const Network* n = network.empty() ? a->default_network() : a->find_network(network);
  if (!n) return make_error(err::kUnknownNetwork, network, asset);
  return n;
}

Status Wallet::check_address(const std::string& asset, const std::string& network, const std::string& address,
                             const std::string& tag) const {
  auto n = network_of(asset, network);
  if (!n) return n.error();
  return rules_.check(*exchange_.find_asset(asset), **n, address, tag);
}

int Wallet::confirmations_needed(const Network& network) const {
  return config_.confirmations >= 0 ? config_.confirmations : network.min_confirm;
}

Status Wallet::check(const TransferRequest& req) const {
  if (!known_asset(req.asset)) return make_error(err::kUnknownAsset, req.asset);
  if (req.amount <= 0) return make_error(err::kBadParam, "amount");
  if (req.from_user == req.to_user) return make_error(err::kSelfTransfer);
  return ok_status();
}

void Wallet::transfer_async(TransferRequest req, std::function<void(Result<Transfer>&&)> done) {
  if (auto s = check(req); !s) return done(s.error());
  engine_.submit_then<Result<Transfer>>(
      [this, req = std::move(req)](engine::Batch& batch) { return transfer_now(batch, req); }, std::move(done));
}

Result<Transfer> Wallet::transfer_now(engine::Batch& batch, const TransferRequest& req) {
  const std::string key = transfer_key(req.from_user, req.client_tran_id);
  if (auto it = transfers_.find(key); it != transfers_.end()) {
    const TransferRequest& first = it->second.request;
    if (first.to_user != req.to_user || first.asset != req.asset || first.amount != req.amount) {
      return make_error(err::kIdempotencyConflict);
    }
    Transfer replay = it->second;
    replay.replayed = true;
    return replay;
  }
  Transfer t{batch.next_entry_id(), req, batch.now_ms(), false};
  if (auto s = batch.post(ledger::transfer(0, 0, req.from_user, req.to_user, req.asset, req.amount, req.client_tran_id));
      !s) {
    return s.error();
  }
  transfers_.emplace(key, t);
  batch.also([t](store::Db& db) {
    db.exec("INSERT INTO transfers (tran_id, from_user, to_user, asset, amount, client_tran_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            {t.tran_id, t.request.from_user, t.request.to_user, t.request.asset, t.request.amount,
             t.request.client_tran_id, t.at_ms});
  });
  return t;
}

std::vector<Transfer> Wallet::transfers_of(int64_t user_id, size_t limit) {
  // Committed history straight from the store: every row there was acknowledged.
  return store_.tx([&](store::Db& db) {
    std::vector<Transfer> out;
    for (const auto& r : db.query(std::string("SELECT ") + kTransferColumns +
                                      " FROM transfers WHERE from_user = ? OR to_user = ? ORDER BY tran_id DESC LIMIT ?",
                                  {user_id, user_id, static_cast<int64_t>(limit)})) {
      out.push_back(transfer_from_row(r));
    }
    return out;
  });
}

std::vector<ledger::UserBalance> Wallet::balances(int64_t user_id) const { return listed(*engine_.balances_of(user_id)); }

// Every listed asset, in the exchange's order (zero when nothing is held), then anything else held.
std::vector<ledger::UserBalance> Wallet::listed(const std::vector<ledger::UserBalance>& held) const {
  std::vector<ledger::UserBalance> out;
  for (const auto& a : exchange_.assets) {
    auto it = std::find_if(held.begin(), held.end(), [&](const auto& b) { return b.asset == a.name; });
    out.push_back(it == held.end() ? ledger::UserBalance{a.name, 0, 0} : *it);
  }
  for (const auto& b : held) {
    if (std::none_of(out.begin(), out.end(), [&](const auto& o) { return o.asset == b.asset; })) out.push_back(b);
  }
  return out;
}

Verification Wallet::verify() {
  return engine_
      .submit<Verification>([this](engine::Batch& batch) {
        // The store holds every committed entry; this batch's own entries are not committed yet.
        std::vector<ledger::Entry> journal = engine_.load_journal();
        journal.insert(journal.end(), batch.entries().begin(), batch.entries().end());
        const ledger::Ledger& l = batch.ledger();
        Verification v;
        v.mismatch = ledger::Ledger::verify(journal, l);
        v.entries = journal.size();
        v.state_hash = l.state_hash();
        for (const auto& asset : l.assets()) {
          v.totals.push_back({asset, l.total(AccountKind::kUserFree, asset), l.total(AccountKind::kUserLocked, asset),
                              l.total(AccountKind::kFees, asset), l.total(AccountKind::kPendingWithdrawal, asset),
                              l.total(AccountKind::kExternal, asset)});
          v.totals.back().desk = l.total(AccountKind::kConvertDesk, asset);
        }
        return v;
      })
      .get();
}

}  // namespace kg::wallet
