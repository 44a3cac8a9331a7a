#pragma once
// Binance's user-data-stream listen keys: POST /api/v3/userDataStream opens one for the account
// (or gives back the account's active one, extended), PUT keeps it 60 more minutes, DELETE closes
// it. Each remembers the API keys that opened or kept it: when none of them is valid any more
// (deactivated, deleted, expired), it closes with its streams. Kept in memory: after a restart a
// client opens a new one, as it does when one expires. Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "streams/hub.hpp"

namespace kg::streams {

class ListenKeys {
 public:
  static constexpr int64_t kValidityMs = 60 * 60 * 1000;

  explicit ListenKeys(const Clock& clock, int64_t validity_ms = kValidityMs);

  // The account's active listen key, extended, or a new one.
  std::string open(int64_t user_id, const std::string& api_key);
  // Another account's key is as unknown as one that never existed: false (-1125).
  bool keep_alive(int64_t user_id, const std::string& api_key, const std::string& listen_key);
  // Closes the key and its streams.
  bool close(int64_t user_id, const std::string& listen_key);
  // The owner of a valid listen key, or nullopt.
  std::optional<int64_t> owner(const std::string& listen_key) const;
  // A stream now reads this key's events; false for an unknown or expired key.
  bool attach(const std::string& listen_key, const std::shared_ptr<Sink>& sink);

  // Once a second: every key past its time is removed and its streams get listenKeyExpired and
  // close; every key whose API key `key_valid` no longer accepts is removed and its streams close.
  void sweep(int64_t now_ms, const std::function<bool(const std::string& api_key)>& key_valid);
  size_t size() const;

 private:
  struct Entry {
    int64_t user_id = 0;
    std::set<std::string> api_keys;
    int64_t expires_ms = 0;
    std::vector<std::weak_ptr<Sink>> sinks;
  };
  static void close_all(Entry& e, const std::string* expired_frame);

  const Clock& clock_;
  const int64_t validity_ms_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> keys_;
};

}  // namespace kg::streams
