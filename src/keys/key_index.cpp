#include "keys/key_index.hpp"

#include <mutex>

namespace kg::keys {

PermissionSet ApiKey::effective_permissions(int64_t now_ms) const {
  PermissionSet set = read_only ? (permissions & bit(Permission::kRead)) : permissions;
  if (trade_expires_at != 0 && now_ms >= trade_expires_at) set &= ~bit(Permission::kTrade);
  return set;
}

std::shared_ptr<const KeyEntry> KeyIndex::find(std::string_view api_key) const {
  std::shared_lock lock(mu_);
  auto it = by_key_.find(api_key);
  return it == by_key_.end() ? nullptr : it->second;
}

void KeyIndex::put(std::shared_ptr<const KeyEntry> entry) {
  std::unique_lock lock(mu_);
  by_key_[entry->key.api_key] = std::move(entry);
}

void KeyIndex::erase(std::string_view api_key) {
  std::unique_lock lock(mu_);
  if (auto it = by_key_.find(api_key); it != by_key_.end()) by_key_.erase(it);
}

size_t KeyIndex::size() const {
  std::shared_lock lock(mu_);
  return by_key_.size();
}

}  // namespace kg::keys
