#include "auth/replay_guard.hpp"

#include <functional>

namespace kg::auth {

namespace {
constexpr size_t kInitialSlots = 1024;
}

ReplayGuard::ReplayGuard() {
  for (auto& shard : shards_) shard.slots.resize(kInitialSlots);
}

// Keeps the live entries; grows when they fill more than a quarter of the table.
void ReplayGuard::rebuild(Shard& shard, int64_t now_ms) {
  std::vector<Slot> old;
  old.swap(shard.slots);
  size_t live = 0;
  for (const Slot& s : old) live += s.fingerprint != 0 && s.expires_at >= now_ms;
  size_t size = old.size();
  while (live * 4 > size) size *= 2;
  shard.slots.assign(size, Slot{});
  shard.used = 0;
  const size_t mask = size - 1;
  for (const Slot& s : old) {
    if (s.fingerprint == 0 || s.expires_at < now_ms) continue;
    size_t i = (s.fingerprint >> 4) & mask;
    while (shard.slots[i].fingerprint != 0) i = (i + 1) & mask;
    shard.slots[i] = s;
    ++shard.used;
  }
}

bool ReplayGuard::first_use(std::string_view key_id, std::string_view signature, int64_t expires_at_ms,
                            int64_t now_ms) {
  const std::hash<std::string_view> h;
  uint64_t fingerprint = h(signature) * 0x9E3779B97F4A7C15ull ^ h(key_id);
  if (fingerprint == 0) fingerprint = 1;
  Shard& shard = shards_[fingerprint % kShards];
  std::lock_guard lock(shard.mu);
  const size_t mask = shard.slots.size() - 1;
  size_t reusable = SIZE_MAX;
  size_t i = (fingerprint >> 4) & mask;
  // Probe to the first never-used slot: a live match on the way is a replay.
  for (; shard.slots[i].fingerprint != 0; i = (i + 1) & mask) {
    Slot& s = shard.slots[i];
    if (s.expires_at < now_ms) {
      if (reusable == SIZE_MAX) reusable = i;
    } else if (s.fingerprint == fingerprint) {
      return false;
    }
  }
  if (reusable != SIZE_MAX) {
    shard.slots[reusable] = {fingerprint, expires_at_ms};
    return true;
  }
  shard.slots[i] = {fingerprint, expires_at_ms};
  if (++shard.used * 2 > shard.slots.size()) rebuild(shard, now_ms);
  return true;
}

}  // namespace kg::auth
