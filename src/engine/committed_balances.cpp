#include "engine/committed_balances.hpp"

#include <algorithm>

namespace kg::engine {

void CommittedBalances::set(int64_t user, std::vector<ledger::UserBalance> held) {
  auto value = std::make_shared<const std::vector<ledger::UserBalance>>(std::move(held));
  Shard& shard = shards_[static_cast<uint64_t>(user) % kShards];
  Held old;  // freed outside the lock
  std::lock_guard lock(shard.mu);
  Held& slot = shard.users[user];
  old = std::move(slot);
  slot = std::move(value);
}

void CommittedBalances::publish(const ledger::Ledger& ledger, const std::vector<ledger::Entry>& entries) {
  std::vector<int64_t> users;
  for (const auto& e : entries) {
    for (const auto& p : e.postings) {
      if (ledger::is_user_account(p.account.kind)) users.push_back(p.account.owner);
    }
  }
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  for (int64_t user : users) set(user, ledger.balances_of(user));
}

void CommittedBalances::publish_all(const ledger::Ledger& ledger) {
  for (int64_t user : ledger.users()) set(user, ledger.balances_of(user));
}

CommittedBalances::Held CommittedBalances::of(int64_t user) const {
  const Shard& shard = shards_[static_cast<uint64_t>(user) % kShards];
  std::lock_guard lock(shard.mu);
  auto it = shard.users.find(user);
  return it == shard.users.end() ? none_ : it->second;
}

}  // namespace kg::engine
