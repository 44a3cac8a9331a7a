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
#include <unordered_set>
#include <vector>
#include <atomic>

#include "keys/api_key.hpp"

namespace kg::keys {

class KeyIndex {
 public:
  std::shared_ptr<const KeyEntry> find(std::string_view api_key) const;
  // Starts fetching the key's slot, without the lock, for a find() a little later: with a million
  // keys the table is far larger than the caches, and the request's parsing hides the wait.
  void prefetch(std::string_view api_key) const;
  void put(std::shared_ptr<const KeyEntry> entry);
  void erase(std::string_view api_key);
  void reserve(size_t keys);  // before loading them all
  size_t size() const;

  // Accounts whose API access an operator turned off: their keys are refused while it is off.
  void set_user_blocked(int64_t user_id, bool blocked);
  bool user_blocked(int64_t user_id) const;
  // Whether the key would pass the gatekeeper's key checks now (known, active, not expired, its
  // owner's API access on) and still has READ in effect, IP and signature aside: how user data
  // streams, which READ opened, learn that the key behind them went bad or was narrowed.
  bool usable_for_reading(std::string_view api_key, int64_t now_ms) const;

 private:
  // Open addressing with linear probing over a power-of-two array kept at most half full: a
  // lookup reads one slot (the key's hash and its entry) and then the entry it needs anyway, where
  // a node-based map reads a bucket, the node before, the node and the key's text, each likely a
  // cache miss once a million keys are loaded. A slot with no entry ends a probe; erase shifts the
  // later slots of the run back, so there are no tombstones.
  // API keys are 60 random characters after their prefix, so 8 of them hash as well as all 64.
  // Only the server creates keys, so a client cannot fill a run with colliding ones.
  static uint64_t hash(std::string_view s) {
    if (s.size() < 16) return std::hash<std::string_view>{}(s) * 0x9E3779B97F4A7C15ull;
    uint64_t v;
    std::memcpy(&v, s.data() + 4, sizeof v);
    return v * 0x9E3779B97F4A7C15ull;
  }
  struct Slot {
    uint64_t hash = 0;
    std::shared_ptr<const KeyEntry> entry;  // null: empty
  };
  size_t home(uint64_t h) const { return static_cast<size_t>(h >> shift_); }  // the top bits
  size_t slot_of(std::string_view api_key, uint64_t h) const;  // its slot, or the empty one that ends its run
  void grow_to(size_t capacity);

  mutable std::shared_mutex mu_;
  std::vector<Slot> slots_;  // empty until the first put; then a power of two
  int shift_ = 64;           // 64 - log2(slots_.size())
  // For prefetch without the lock: the table's address and shift, updated when it grows.
  std::atomic<const Slot*> hint_slots_{nullptr};
  std::atomic<int> hint_shift_{64};
  size_t size_ = 0;
  mutable std::shared_mutex blocked_mu_;
  std::unordered_set<int64_t> blocked_users_;
  std::atomic<bool> any_blocked_{false};  // the common case skips the lock
};

}  // namespace kg::keys
