#pragma once
// Refuses a signature that was already accepted while its request could still be accepted.
// A client that polls signs a new timestamp every time, so only true replays are refused.
// Memory is bounded by what arrives within the largest recvWindow (60 s).

#include <array>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace kg::auth {

class ReplayGuard {
 public:
  // True the first time (and remembers it until expires_at_ms); false for a replay.
  bool first_use(std::string_view key_id, std::string_view signature, int64_t expires_at_ms, int64_t now_ms);

 private:
  struct Shard {
    std::mutex mu;
    std::unordered_set<std::string> seen;
    std::deque<std::pair<int64_t, std::string>> expiry;  // in arrival order
  };
  static constexpr size_t kShards = 16;
  std::array<Shard, kShards> shards_;
};

}  // namespace kg::auth
