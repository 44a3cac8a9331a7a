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

void KeyIndex::set_user_blocked(int64_t user_id, bool blocked) {
  std::unique_lock lock(blocked_mu_);
  if (blocked) {
    blocked_users_.insert(user_id);
  } else {
    blocked_users_.erase(user_id);
  }
  any_blocked_.store(!blocked_users_.empty());
}

bool KeyIndex::user_blocked(int64_t user_id) const {
  if (!any_blocked_.load(std::memory_order_relaxed)) return false;
  std::shared_lock lock(blocked_mu_);
  return blocked_users_.count(user_id) != 0;
}

bool KeyIndex::usable(std::string_view api_key, int64_t now_ms) const {
  auto entry = find(api_key);
  return entry && entry->key.active && !entry->key.expired(now_ms) && !user_blocked(entry->key.user_id);
}

size_t KeyIndex::size() const {
  std::shared_lock lock(mu_);
  return by_key_.size();
}

}  // namespace kg::keys
