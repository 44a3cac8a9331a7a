#include "auth/replay_guard.hpp"

#include <functional>

namespace kg::auth {

bool ReplayGuard::first_use(std::string_view key_id, std::string_view signature, int64_t expires_at_ms,
                            int64_t now_ms) {
  std::string id;
  id.reserve(key_id.size() + 1 + signature.size());
  id.append(key_id).append(1, ':').append(signature);
  Shard& shard = shards_[std::hash<std::string>{}(id) % kShards];
  std::lock_guard lock(shard.mu);
  // Entries arrive in roughly increasing expiry; drop the expired ones at the front. An entry with
  // a longer window behind a shorter one lives a little longer, never shorter.
  while (!shard.expiry.empty() && shard.expiry.front().first < now_ms) {
    shard.seen.erase(shard.expiry.front().second);
    shard.expiry.pop_front();
  }
  if (!shard.seen.insert(id).second) return false;
  shard.expiry.emplace_back(expires_at_ms, std::move(id));
  return true;
}

}  // namespace kg::auth
