#pragma once
// The balances: a pure in-memory state machine changed only by applying journal entries, one at
// a time, from one thread (the sequencer), which also persists the entries. No I/O, no locks.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "ledger/entry.hpp"

namespace kg::ledger {

struct UserBalance {
  std::string asset;
  int64_t free = 0;
  int64_t locked = 0;

  bool operator==(const UserBalance&) const = default;
};

class Ledger {
 public:
  // Validates the whole entry, then applies all of it or nothing. Errors (nothing changed):
  // an id not after the last applied one, fewer than two postings, a zero amount, an empty asset
  // or a malformed account (-7400/-7401); a user, fee, pending or convert-desk account that
  // would go negative (-2010); a balance that would overflow (-7402). An entry whose postings do not sum to zero
  // per asset is a bug in whoever built it: it stops the process (R10), release builds too.
  Status apply(const Entry& entry);

  // True when the postings of each asset sum to zero. Public so tests can check it without dying.
  static bool balanced(const Entry& entry);

  // Reconciliation (R11): recomputes every balance from `journal` (the entries applied to
  // `ledger`, in order) independently of apply(), and checks each entry and each asset sums to
  // zero. Returns the first mismatch, described, or nullopt when everything agrees. The journal
  // is an argument because it lives in the store; keeping it here would grow without bound.
  static std::optional<std::string> verify(const std::vector<Entry>& journal, const Ledger& ledger);

  int64_t balance(const AccountRef& account, std::string_view asset) const;
  // The user's free and locked balance per asset, sorted by asset, all-zero assets omitted.
  std::vector<UserBalance> balances_of(int64_t user) const;
  // Every user with a non-zero balance, free or locked, ascending.
  std::vector<int64_t> users() const;
  // Sum over every account of `kind` (all users for the user kinds). It cannot overflow: every
  // account but kExternal is non-negative and they sum to -external, which is an int64.
  int64_t total(AccountKind kind, std::string_view asset) const;
  // Every asset with a non-zero balance anywhere, sorted.
  std::vector<std::string> assets() const;

  // FNV-1a 64 over (kind, owner, asset, balance) of every non-zero balance in key order, so two
  // ledgers holding the same balances hash the same however they got there (R: deterministic
  // replay, engineering.md §1.4). The last entry id is deliberately not part of it.
  uint64_t state_hash() const;

  int64_t last_entry_id() const { return last_entry_id_; }

 private:
  struct Key {
    AccountKind kind;
    int64_t owner;
    std::string asset;
    auto operator<=>(const Key&) const = default;
  };

  Status check_shape(const Entry& entry) const;
  Result<std::map<Key, int64_t>> new_balances(const Entry& entry) const;

  // Only non-zero balances are kept, so the map (and the hash) is the state and nothing else.
  std::map<Key, int64_t> balances_;
  int64_t last_entry_id_ = 0;
};

}  // namespace kg::ledger
