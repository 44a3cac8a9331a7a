#include "ledger/ledger.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "common/errors.hpp"
#include "ledger/fatal.hpp"

namespace kg::ledger {

namespace {

// Sums of int64 amounts that cannot overflow however many postings there are in practice, so
// "balanced" never depends on the order of the postings.
__extension__ using Int128 = __int128;

bool valid_kind(AccountKind kind) {
  return static_cast<uint8_t>(kind) <= static_cast<uint8_t>(AccountKind::kConvertDesk);
}

bool valid_owner(const AccountRef& account) {
  return is_user_account(account.kind) ? account.owner > 0 : account.owner == 0;
}

std::string describe(AccountKind kind, int64_t owner) {
  switch (kind) {
    case AccountKind::kUserFree: return fmt::format("user {} free", owner);
    case AccountKind::kUserLocked: return fmt::format("user {} locked", owner);
    case AccountKind::kFees: return "fees";
    case AccountKind::kPendingWithdrawal: return "pending withdrawal";
    case AccountKind::kExternal: return "external";
    case AccountKind::kConvertDesk: return "convert desk";
  }
  return fmt::format("kind {} owner {}", static_cast<int>(kind), owner);
}

// Signed 128-bit values have no fmt formatter in every fmt version; balances that reach this
// are compared against int64s, so print the int64 when it fits.
std::string to_string(Int128 v) {
  if (v >= INT64_MIN && v <= INT64_MAX) return std::to_string(static_cast<int64_t>(v));
  return v < 0 ? "<below int64>" : "<above int64>";
}

class Fnv1a {
 public:
  void bytes(const void* data, size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) {
      hash_ = (hash_ ^ p[i]) * kPrime;
    }
  }
  // Little-endian whatever the host, so the hash is the same on every machine.
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      unsigned char b = static_cast<unsigned char>(v >> (8 * i));
      bytes(&b, 1);
    }
  }
  uint64_t value() const { return hash_; }

 private:
  static constexpr uint64_t kOffset = 14695981039346656037ull;
  static constexpr uint64_t kPrime = 1099511628211ull;
  uint64_t hash_ = kOffset;
};

}  // namespace

void fatal(std::string_view what) {
  std::fprintf(stderr, "keygate: ledger invariant broken, stopping: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

bool Ledger::balanced(const Entry& entry) {
  std::map<std::string_view, Int128> sums;
  for (const auto& p : entry.postings) sums[p.asset] += p.amount;
  for (const auto& [asset, sum] : sums) {
    if (sum != 0) return false;
  }
  return true;
}

Status Ledger::check_shape(const Entry& entry) const {
  if (entry.id <= last_entry_id_) {
    return make_error(err::kEntryOutOfOrder, entry.id, last_entry_id_);
  }
  if (entry.postings.size() < 2) {
    return make_error(err::kMalformedEntry, entry.id, "fewer than two postings");
  }
  for (const auto& p : entry.postings) {
    if (p.amount == 0) return make_error(err::kMalformedEntry, entry.id, "a zero amount");
    if (p.asset.empty()) return make_error(err::kMalformedEntry, entry.id, "an empty asset");
    if (!valid_kind(p.account.kind) || !valid_owner(p.account)) {
      return make_error(err::kMalformedEntry, entry.id, "an account with a wrong kind or owner");
    }
  }
  return ok_status();
}

// The balance every touched account would have after the entry. Postings to the same account
// are netted first, so the order of postings inside an entry never matters.
Result<std::map<Ledger::Key, int64_t>> Ledger::new_balances(const Entry& entry) const {
  // Netted in 128 bits, so that no posting order can overflow on the way.
  std::map<Key, Int128> wide;
  for (const auto& p : entry.postings) {
    Key key{p.account.kind, p.account.owner, p.asset};
    auto [it, inserted] = wide.try_emplace(key, 0);
    if (inserted) {
      auto found = balances_.find(key);
      if (found != balances_.end()) it->second = found->second;
    }
    it->second += p.amount;
  }
  // The balance check first: a debit the account cannot cover is -2010 whatever the entry would
  // do to the other side. (Checking overflow first would answer differently depending on the
  // recipient's balance, and let anyone read it by trying huge transfers.)
  for (const auto& [key, value] : wide) {
    if (value < 0 && key.kind != AccountKind::kExternal) return make_error(err::kInsufficientBalance);
  }
  // INT64_MIN itself is out too: then the other accounts of an asset, which sum to -external,
  // always fit in an int64, and so does every total.
  std::map<Key, int64_t> after;
  for (const auto& [key, value] : wide) {
    if (value > INT64_MAX || value <= INT64_MIN) return make_error(err::kBalanceOverflow);
    after.emplace(key, static_cast<int64_t>(value));
  }
  return after;
}

Status Ledger::apply(const Entry& entry) {
  if (auto shape = check_shape(entry); !shape) return shape;
  if (!balanced(entry)) {
    fatal(fmt::format("journal entry {} ({}, {}) does not balance to zero per asset", entry.id,
                      entry.kind, entry.reference));
  }
  auto after = new_balances(entry);
  if (!after) return after.error();
  // Nothing below can fail, so the entry is applied whole.
  for (auto& [key, value] : *after) {
    if (value == 0) {
      balances_.erase(key);
    } else {
      balances_.insert_or_assign(key, value);
    }
  }
  last_entry_id_ = entry.id;
  return ok_status();
}

int64_t Ledger::balance(const AccountRef& account, std::string_view asset) const {
  auto it = balances_.find(Key{account.kind, account.owner, std::string(asset)});
  return it == balances_.end() ? 0 : it->second;
}

std::vector<UserBalance> Ledger::balances_of(int64_t user) const {
  std::map<std::string, UserBalance> by_asset;
  for (AccountKind kind : {AccountKind::kUserFree, AccountKind::kUserLocked}) {
    for (auto it = balances_.lower_bound(Key{kind, user, ""});
         it != balances_.end() && it->first.kind == kind && it->first.owner == user; ++it) {
      UserBalance& b = by_asset[it->first.asset];
      b.asset = it->first.asset;
      (kind == AccountKind::kUserFree ? b.free : b.locked) = it->second;
    }
  }
  std::vector<UserBalance> out;
  out.reserve(by_asset.size());
  for (auto& [asset, b] : by_asset) out.push_back(std::move(b));
  return out;
}

std::vector<int64_t> Ledger::users() const {
  std::vector<int64_t> out;
  for (AccountKind kind : {AccountKind::kUserFree, AccountKind::kUserLocked}) {
    for (auto it = balances_.lower_bound(Key{kind, INT64_MIN, ""}); it != balances_.end() && it->first.kind == kind; ++it) {
      if (out.empty() || out.back() != it->first.owner) out.push_back(it->first.owner);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

int64_t Ledger::total(AccountKind kind, std::string_view asset) const {
  int64_t sum = 0;
  for (auto it = balances_.lower_bound(Key{kind, INT64_MIN, ""});
       it != balances_.end() && it->first.kind == kind; ++it) {
    if (it->first.asset == asset) sum += it->second;
  }
  return sum;
}

std::vector<std::string> Ledger::assets() const {
  std::map<std::string_view, bool> seen;
  for (const auto& [key, value] : balances_) seen[key.asset] = true;
  std::vector<std::string> out;
  for (const auto& [asset, unused] : seen) out.emplace_back(asset);
  return out;
}

uint64_t Ledger::state_hash() const {
  Fnv1a h;
  for (const auto& [key, value] : balances_) {
    unsigned char kind = static_cast<unsigned char>(key.kind);
    h.bytes(&kind, 1);
    h.u64(static_cast<uint64_t>(key.owner));
    h.u64(key.asset.size());  // length first, so ("AB","C") and ("A","BC") differ
    h.bytes(key.asset.data(), key.asset.size());
    h.u64(static_cast<uint64_t>(value));
  }
  return h.value();
}

std::optional<std::string> Ledger::verify(const std::vector<Entry>& journal, const Ledger& ledger) {
  // Recomputed with plain sums, not through apply(), so a bug in apply() cannot hide itself.
  std::map<Key, Int128> recomputed;
  int64_t previous_id = 0;
  for (const auto& entry : journal) {
    if (entry.id <= previous_id) {
      return fmt::format("journal entry {} comes after entry {}", entry.id, previous_id);
    }
    previous_id = entry.id;
    if (!balanced(entry)) return fmt::format("journal entry {} does not balance", entry.id);
    for (const auto& p : entry.postings) {
      recomputed[Key{p.account.kind, p.account.owner, p.asset}] += p.amount;
    }
  }
  std::erase_if(recomputed, [](const auto& kv) { return kv.second == 0; });

  for (const auto& [key, value] : recomputed) {
    auto it = ledger.balances_.find(key);
    int64_t held = it == ledger.balances_.end() ? 0 : it->second;
    if (held != value) {
      return fmt::format("{} {}: the ledger holds {}, the journal sums to {}",
                         describe(key.kind, key.owner), key.asset, held, to_string(value));
    }
  }
  std::map<std::string_view, Int128> per_asset;
  for (const auto& [key, value] : ledger.balances_) {
    if (!recomputed.contains(key)) {
      return fmt::format("{} {}: the ledger holds {}, the journal sums to 0",
                         describe(key.kind, key.owner), key.asset, value);
    }
    if (value < 0 && key.kind != AccountKind::kExternal) {
      return fmt::format("{} {} is negative: {}", describe(key.kind, key.owner), key.asset, value);
    }
    per_asset[key.asset] += value;
  }
  for (const auto& [asset, sum] : per_asset) {
    if (sum != 0) return fmt::format("{} does not sum to zero: {}", asset, to_string(sum));
  }
  return std::nullopt;
}

}  // namespace kg::ledger
