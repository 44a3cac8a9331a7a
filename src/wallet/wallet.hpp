#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/market.hpp"
#include "common/result.hpp"
#include "engine/engine.hpp"
#include "ledger/ledger.hpp"

namespace kg::wallet {

struct DepositRequest {
  int64_t user_id = 0;
  std::string asset;
  std::string network;
  std::string address;
  int64_t amount = 0;  // units of 10^-8
  std::string txid;    // the chain transaction; a deposit is credited once per txid
};

struct Deposit {
  DepositRequest request;
  int64_t entry_id = 0;
  bool already_credited = false;  // this txid was credited before: nothing changed now
};

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
};

struct Verification {
  std::optional<std::string> mismatch;  // nullopt: every balance agrees with the journal
  size_t entries = 0;
  uint64_t state_hash = 0;
  std::vector<AssetTotals> totals;
};

class Wallet {
 public:
  Wallet(engine::Engine& engine, store::Store& store, const ExchangeSpec& exchange);

  // Loads what the engine thread needs besides the ledger (credited txids). Call before start.
  void load();

  Result<Deposit> credit_deposit(DepositRequest request);
  // Moves free balance between two users, exactly once per (sender, clientTranId).
  Result<Transfer> transfer(TransferRequest request);
  // The user's transfers in and out, newest first.
  std::vector<Transfer> transfers_of(int64_t user_id, size_t limit);
  // Every configured asset (zero when there is none) and any other asset the user holds.
  std::vector<ledger::UserBalance> balances(int64_t user_id);
  Verification verify();

 private:
  engine::Engine& engine_;
  store::Store& store_;
  const ExchangeSpec& exchange_;
  bool known_asset(const std::string& asset) const;

  // Engine-thread state: txid -> entry id of its credit; "sender:clientTranId" -> the transfer.
  std::unordered_map<std::string, int64_t> credited_;
  std::unordered_map<std::string, Transfer> transfers_;
};

}  // namespace kg::wallet
