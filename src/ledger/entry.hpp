#pragma once
// The journal's vocabulary: accounts, postings and entries. Amounts are int64 units of
// 10^-kAmountScale (common/market.hpp); a posting's amount is positive for a credit and
// negative for a debit, and an entry's postings sum to zero per asset.

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

namespace kg::ledger {

// The order of the enumerators is part of the state hash's canonical encoding: append only.
enum class AccountKind : uint8_t {
  kUserFree = 0,
  kUserLocked = 1,
  kFees = 2,
  kPendingWithdrawal = 3,
  // The outside world (the chains). A deposit debits it, so it is negative by what came in and
  // is the only account allowed below zero.
  kExternal = 4,
  // The exchange's own inventory that convert trades against (wallet/convert.hpp): funded from
  // outside (desk_fund), never below zero.
  kConvertDesk = 5,
};

// A user account has owner = the user id (> 0); a system account has owner 0.
struct AccountRef {
  AccountKind kind = AccountKind::kExternal;
  int64_t owner = 0;

  auto operator<=>(const AccountRef&) const = default;

  static AccountRef user_free(int64_t user) { return {AccountKind::kUserFree, user}; }
  static AccountRef user_locked(int64_t user) { return {AccountKind::kUserLocked, user}; }
  static AccountRef fees() { return {AccountKind::kFees, 0}; }
  static AccountRef pending_withdrawal() { return {AccountKind::kPendingWithdrawal, 0}; }
  static AccountRef external() { return {AccountKind::kExternal, 0}; }
  static AccountRef convert_desk() { return {AccountKind::kConvertDesk, 0}; }
};

inline bool is_user_account(AccountKind kind) {
  return kind == AccountKind::kUserFree || kind == AccountKind::kUserLocked;
}

struct Posting {
  AccountRef account;
  std::string asset;  // "BTC"
  int64_t amount = 0;
};

struct Entry {
  int64_t id = 0;     // strictly increasing across the journal
  int64_t at_ms = 0;  // injected clock, for history only; never read by the rules
  std::string kind;   // "deposit", "transfer", ... (see entries.hpp)
  std::string reference;  // txid, withdrawal id, clientTranId: what the entry is about
  std::vector<Posting> postings;
};

}  // namespace kg::ledger
