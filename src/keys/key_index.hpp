#pragma once
// Every API key in memory, read by network threads on each signed request. A change to a key
// replaces its entry before the change is acknowledged, so a deactivated or deleted key fails
// on its very next request. The request path never touches the store.

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <atomic>

#include "keys/api_key.hpp"

namespace kg::keys {

class KeyIndex {
 public:
  std::shared_ptr<const KeyEntry> find(std::string_view api_key) const;
  void put(std::shared_ptr<const KeyEntry> entry);
  void erase(std::string_view api_key);
  size_t size() const;

  // Accounts whose API access an operator turned off: their keys are refused while it is off.
  void set_user_blocked(int64_t user_id, bool blocked);
  bool user_blocked(int64_t user_id) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const KeyEntry>, Hash, std::equal_to<>> by_key_;
  mutable std::shared_mutex blocked_mu_;
  std::unordered_set<int64_t> blocked_users_;
  std::atomic<bool> any_blocked_{false};  // the common case skips the lock
};

}  // namespace kg::keys
