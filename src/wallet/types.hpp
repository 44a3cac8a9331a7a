#pragma once
// What the wallet hands out: deposit addresses, chain deposits and withdrawals, with Binance's
// status numbers.

#include <cstdint>
#include <string>

namespace kg::wallet {

struct DepositAddress {
  std::string asset;
  std::string network;
  std::string address;
  std::string tag;  // empty unless the network uses tags (memos)
};

// An incoming chain transaction (simulated chain: the operator records it).
struct ChainTx {
  std::string asset;
  std::string network;  // empty: the asset's network that owns the address
  std::string address;
  std::string tag;
  int64_t amount = 0;
  std::string txid;  // empty: the wallet makes one
};

enum class DepositStatus : int { kPending = 0, kCredited = 1 };  // Binance: 0 pending, 1 success

struct ChainDeposit {
  int64_t id = 0;
  int64_t user_id = 0;
  ChainTx tx;
  DepositStatus status = DepositStatus::kPending;
  int confirmations_needed = 0;
  int64_t seen_at = 0;
  int64_t credited_at = 0;
  int64_t entry_id = 0;  // the credit's journal entry, once credited
  bool already_recorded = false;  // this txid was recorded before: nothing changed now
};

// Binance's withdrawal status numbers.
enum class WithdrawStatus : int {
  kAwaitingApproval = 2,
  kRejected = 3,
  kProcessing = 4,
  kFailed = 5,
  kCompleted = 6,
};
const char* status_name(WithdrawStatus s);
inline bool is_final(WithdrawStatus s) {
  return s == WithdrawStatus::kRejected || s == WithdrawStatus::kFailed || s == WithdrawStatus::kCompleted;
}

struct WithdrawRequest {
  int64_t user_id = 0;
  int64_t key_id = 0;  // the API key that asked (its daily cap counts this)
  std::string asset;
  std::string network;  // resolved: never empty here
  std::string address;
  std::string tag;
  int64_t amount = 0;  // what arrives; the fee is on top
  std::string withdraw_order_id;  // the client's idempotency key; may be empty
  int64_t key_daily_cap = 0;      // 0: no cap for this key and asset

  bool same_order(const WithdrawRequest& o) const {
    return asset == o.asset && network == o.network && address == o.address && tag == o.tag && amount == o.amount;
  }
};

struct Withdrawal {
  int64_t id = 0;
  WithdrawRequest request;
  int64_t fee = 0;
  WithdrawStatus status = WithdrawStatus::kProcessing;
  std::string txid;  // set when it leaves
  std::string info;  // why it was rejected or failed
  int64_t applied_at = 0;
  int64_t updated_at = 0;  // the last status change
  bool replayed = false;   // the same withdrawOrderId again: the first result, nothing changed
};

}  // namespace kg::wallet
