#pragma once
// Every API key in memory, read by network threads on each signed request. A change to a key
// replaces its entry before the change is acknowledged, so a deactivated or deleted key fails
// on its very next request. The request path never touches the store.

#include <cstdint>
#include <cstring>
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
  // Whether the key would pass the gatekeeper's key checks now (known, active, not expired, its
  // owner's API access on), IP and signature aside: how long-lived streams learn a key went bad.
  bool usable(std::string_view api_key, int64_t now_ms) const;

 private:
  // API keys are 60 random characters after their prefix, so 8 of them hash as well as all 64.
  // Only the server creates keys, so a client cannot fill a bucket with colliding ones.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      if (s.size() < 16) return std::hash<std::string_view>{}(s);
      uint64_t v;
      std::memcpy(&v, s.data() + 4, sizeof v);
      return static_cast<size_t>(v * 0x9E3779B97F4A7C15ull);
    }
  };
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const KeyEntry>, Hash, std::equal_to<>> by_key_;
  mutable std::shared_mutex blocked_mu_;
  std::unordered_set<int64_t> blocked_users_;
  std::atomic<bool> any_blocked_{false};  // the common case skips the lock
};

}  // namespace kg::keys
