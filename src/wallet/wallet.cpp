#include "wallet/wallet.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "ledger/entries.hpp"

namespace kg::wallet {

using ledger::AccountKind;

Wallet::Wallet(engine::Engine& engine, store::Store& store, const ExchangeSpec& exchange)
    : engine_(engine), store_(store), exchange_(exchange) {}

void Wallet::load() {
  auto rows = store_.tx([](store::Db& db) { return db.query("SELECT txid, entry_id FROM deposits"); });
  for (const auto& r : rows) credited_.emplace(r.text(0), r.int64(1));
}

Result<Deposit> Wallet::credit_deposit(DepositRequest req) {
  const bool known_asset = std::any_of(exchange_.assets.begin(), exchange_.assets.end(),
                                       [&](const Asset& a) { return a.name == req.asset; });
  if (!known_asset) return make_error(err::kUnknownAsset, req.asset);
  if (req.amount <= 0) return make_error(err::kBadParam, "amount");
  if (req.txid.empty()) return make_error(err::kBadParam, "txid");
  return engine_.submit<Result<Deposit>>([this, req](engine::Batch& batch) -> Result<Deposit> {
           Deposit d{req, 0, false};
           if (auto it = credited_.find(req.txid); it != credited_.end()) {
             d.entry_id = it->second;
             d.already_credited = true;
             return d;
           }
           ledger::Entry entry = ledger::deposit(0, 0, req.user_id, req.asset, req.amount, req.txid);
           d.entry_id = batch.next_entry_id();
           if (auto s = batch.post(std::move(entry)); !s) return s.error();
           credited_.emplace(req.txid, d.entry_id);
           batch.also([req, entry_id = d.entry_id, at = batch.now_ms()](store::Db& db) {
             db.exec("INSERT INTO deposits (txid, user_id, asset, network, address, amount, entry_id, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     {req.txid, req.user_id, req.asset, req.network, req.address, req.amount, entry_id, at});
           });
           return d;
         })
      .get();
}

std::vector<ledger::UserBalance> Wallet::balances(int64_t user_id) {
  auto held = engine_
                  .submit<std::vector<ledger::UserBalance>>(
                      [user_id](engine::Batch& batch) { return batch.ledger().balances_of(user_id); })
                  .get();
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
        }
        return v;
      })
      .get();
}

}  // namespace kg::wallet
