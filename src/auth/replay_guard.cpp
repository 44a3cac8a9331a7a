#include "auth/replay_guard.hpp"

#include <functional>

namespace kg::auth {

namespace {
constexpr size_t kInitialSlots = 1024;
}

ReplayGuard::ReplayGuard() {
  for (auto& shard : shards_) {
    shard.slots.resize(kInitialSlots);
    shard.hint_base.store(shard.slots.data());
    shard.hint_mask.store(kInitialSlots - 1);
  }
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
  shard.hint_mask.store(0, std::memory_order_relaxed);  // never index past a smaller table
  shard.hint_base.store(shard.slots.data(), std::memory_order_relaxed);
  shard.hint_mask.store(size - 1, std::memory_order_relaxed);
  const size_t mask = size - 1;
  for (const Slot& s : old) {
    if (s.fingerprint == 0 || s.expires_at < now_ms) continue;
    size_t i = (s.fingerprint >> 4) & mask;
    while (shard.slots[i].fingerprint != 0) i = (i + 1) & mask;
    shard.slots[i] = s;
    ++shard.used;
  }
}

uint64_t ReplayGuard::fingerprint(int64_t key_id, std::string_view signature) {
  const uint64_t f = std::hash<std::string_view>{}(signature) ^ (static_cast<uint64_t>(key_id) * 0x9E3779B97F4A7C15ull);
  return f == 0 ? 1 : f;
}

void ReplayGuard::prefetch(uint64_t fingerprint) const {
  const Shard& shard = shards_[fingerprint % kShards];
  // Only a hint: a table rebuilt meanwhile makes it useless, never wrong (prefetch cannot fault).
  const Slot* slots = shard.hint_base.load(std::memory_order_relaxed);
  const size_t mask = shard.hint_mask.load(std::memory_order_relaxed);
  __builtin_prefetch(slots + ((fingerprint >> 4) & mask), 1);
}

bool ReplayGuard::first_use(std::string_view key_id, std::string_view signature, int64_t expires_at_ms,
                            int64_t now_ms) {
  const std::hash<std::string_view> h;
  return first_use((h(signature) * 0x9E3779B97F4A7C15ull ^ h(key_id)) | 1, expires_at_ms, now_ms);
}

bool ReplayGuard::first_use(uint64_t fingerprint, int64_t expires_at_ms, int64_t now_ms) {
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
