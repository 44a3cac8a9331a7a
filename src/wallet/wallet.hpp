#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/market.hpp"
#include "common/result.hpp"
#include "engine/engine.hpp"
#include "ledger/ledger.hpp"
#include "wallet/chain_addresses.hpp"
#include "wallet/config.hpp"
#include "wallet/types.hpp"

namespace kg::wallet {

struct TransferRequest {
  int64_t from_user = 0;
  int64_t to_user = 0;  // resolved by the caller; must exist
  std::string asset;
  int64_t amount = 0;
  std::string client_tran_id;  // idempotency key of the sender; generated when empty
};

struct Transfer {
  int64_t tran_id = 0;  // the journal entry id
  TransferRequest request;
  int64_t at_ms = 0;
  bool replayed = false;  // the same clientTranId again: the first result, nothing changed
};

struct AssetTotals {
  std::string asset;
  int64_t users_free = 0, users_locked = 0, fees = 0, pending_withdrawal = 0, external = 0;
  int64_t desk = 0;  // the convert desk; users + fees + pending + desk = -external
};

struct Verification {
  std::optional<std::string> mismatch;  // nullopt: every balance agrees with the journal
  size_t entries = 0;
  uint64_t state_hash = 0;
  std::vector<AssetTotals> totals;
};

struct DepositQuery {
  std::string asset;  // empty: all
  std::optional<int> status;
  int64_t start_ms = 0, end_ms = INT64_MAX;
  std::string txid;
  size_t offset = 0, limit = 1000;
};

struct WithdrawQuery {
  std::string asset;
  std::optional<int> status;
  int64_t start_ms = 0, end_ms = INT64_MAX;
  std::string withdraw_order_id;
  std::vector<int64_t> ids;
  size_t offset = 0, limit = 1000;
};

class Wallet {
 public:
  Wallet(engine::Engine& engine, store::Store& store, const ExchangeSpec& exchange, const WalletConfig& config,
         const Clock& clock);

  // Loads what the engine thread needs besides the ledger (deposits, withdrawals, idempotency
  // keys). Call before the engine starts.
  void load();

  // The asset's network (the default one when `network` is empty): -7410 / -7414.
  Result<const Network*> network_of(const std::string& asset, const std::string& network) const;
  // -7414 / -7416 / -7417: is this a valid address (and tag) on the network?
  Status check_address(const std::string& asset, const std::string& network, const std::string& address,
                       const std::string& tag) const;
  int confirmations_needed(const Network& network) const;

  // Deposits. The user's address on a network is made on first ask and never changes.
  Result<DepositAddress> deposit_address(int64_t user_id, const std::string& asset, const std::string& network);
  // Records an incoming chain transaction to a deposit address; credited at once when the
  // network needs no confirmations, else by `tick` once they have passed. Once per txid.
  Result<ChainDeposit> record_deposit(ChainTx tx);
  std::vector<ChainDeposit> deposits_of(int64_t user_id, const DepositQuery& query);
  // Confirmations the chain has given a deposit so far (derived from the clock).
  int confirmations(const ChainDeposit& d) const;

  // Withdrawals: the caller has checked the address book, the key's addresses and the amount's
  // limits; the wallet checks the balance, the key's daily cap and idempotency, atomically.
  Result<Withdrawal> withdraw(WithdrawRequest request);
  std::vector<Withdrawal> withdrawals_of(int64_t user_id, const WithdrawQuery& query);
  // Operators: approve (awaiting approval -> processing), reject (-> rejected, funds back),
  // fail (processing -> failed, funds back).
  Result<Withdrawal> approve_withdrawal(int64_t id);
  Result<Withdrawal> reject_withdrawal(int64_t id, const std::string& reason);
  Result<Withdrawal> fail_withdrawal(int64_t id, const std::string& reason);
  std::vector<Withdrawal> open_withdrawals();

  // The simulated chain moves: credits deposits whose confirmations have passed and completes
  // withdrawals whose delay has passed. Returns how many changed.
  size_t tick();
  // Moves free balance between two users, exactly once per (sender, clientTranId), and hands the
  // answer to `done` once the transfer is durable: at once, on the calling thread, for a request
  // refused before the engine; else on the engine thread, without anyone waiting (transfers from
  // many connections share one commit). `done` must be quick.
  void transfer_async(TransferRequest request, std::function<void(Result<Transfer>&&)> done);
  // The user's transfers in and out, newest first.
  std::vector<Transfer> transfers_of(int64_t user_id, size_t limit);
  // Every configured asset (zero when there is none) and any other asset the user holds, as of the
  // last committed batch (every acknowledged change, nothing uncommitted), without waiting.
  std::vector<ledger::UserBalance> balances(int64_t user_id) const;
  std::vector<ledger::UserBalance> listed(const std::vector<ledger::UserBalance>& held) const;
  Verification verify();

 private:
  engine::Engine& engine_;
  store::Store& store_;
  const ExchangeSpec& exchange_;
  WalletConfig config_;
  const Clock& clock_;
  AddressRules rules_;
  bool known_asset(const std::string& asset) const;

  void load_deposits();
  void load_withdrawals();

  // Engine thread only, below.
  Status credit(engine::Batch& batch, ChainDeposit& d);  // posts the credit, updates the row
  int64_t used_today(const WithdrawRequest& r, int64_t now_ms) const;
  size_t complete_due_withdrawals(engine::Batch& batch);
  Status check(const TransferRequest& r) const;
  Result<Transfer> transfer_now(engine::Batch& batch, const TransferRequest& r);
  Result<Withdrawal> change_withdrawal(int64_t id, WithdrawStatus to, const std::string& info);

  // Engine-thread state. "sender:clientTranId" -> the transfer; txid -> its deposit; pending
  // deposit ids; open withdrawals; the last 24 h of withdrawals for the per-key caps;
  // "user:withdrawOrderId" -> the first withdrawal.
  std::unordered_map<std::string, Transfer> transfers_;
  std::unordered_map<std::string, ChainDeposit> deposits_;
  std::vector<std::string> pending_deposits_;  // txids
  int64_t next_deposit_id_ = 1;
  std::unordered_map<int64_t, Withdrawal> open_withdrawals_;
  struct Recent {
    int64_t id, at_ms, key_id;
    std::string asset;
    int64_t amount;
  };
  std::vector<Recent> recent_withdrawals_;
  std::unordered_map<std::string, Withdrawal> withdraw_orders_;
  int64_t next_withdrawal_id_ = 1;
};

}  // namespace kg::wallet
