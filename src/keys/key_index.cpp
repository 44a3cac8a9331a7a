#include "keys/key_index.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <initializer_list>
#include <mutex>

namespace kg::keys {

PermissionSet ApiKey::effective_permissions(int64_t now_ms) const {
  PermissionSet set = read_only ? (permissions & bit(Permission::kRead)) : permissions;
  if (trade_expires_at != 0 && now_ms >= trade_expires_at) set &= ~bit(Permission::kTrade);
  return set;
}

namespace {

// always_inline: as functions of their own GCC finds these have no effect it can see and drops
// the calls (a prefetch changes no memory); inlined, the prefetches stay.
[[gnu::always_inline]] inline void prefetch_lines(const void* p, size_t bytes) {
  const auto end = reinterpret_cast<uintptr_t>(p) + bytes;
  for (auto a = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{63}; a < end; a += 64) {
    __builtin_prefetch(reinterpret_cast<const void*>(a));
  }
}

// Starts fetching, at once, what a request reads of a key: the lines of its entry that the checks
// read, then its key text, verifier, allowlist and usage record, each an allocation of its own.
// With a million keys they are out of the cache, and read one after another as the checks reach
// them the waits add up (a shared_ptr's atomic count between them keeps the CPU from overlapping
// them itself). Only the lines read: the label, public key and withdrawal rules would crowd the
// cache of a thousand busy keys for nothing.
[[gnu::always_inline]] inline void prefetch_parts(const KeyEntry& e) {
  const ApiKey& k = e.key;
  // The entry's shared_ptr count too: make_shared puts it just before the entry.
  __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(&e) - 16));
  for (const void* field : {static_cast<const void*>(&e), static_cast<const void*>(&k.api_key),
                            static_cast<const void*>(&k.type), static_cast<const void*>(&k.active),
                            static_cast<const void*>(&k.trade_expires_at), static_cast<const void*>(&k.limits),
                            static_cast<const void*>(&e.hmac), static_cast<const void*>(&e.usage)}) {
    __builtin_prefetch(field);
  }
  __builtin_prefetch(k.api_key.data());
  if (e.hmac) prefetch_lines(e.hmac.get(), sizeof(crypto::HmacSha256Key));
  if (e.usage) prefetch_lines(e.usage.get(), sizeof(KeyUsage));
  if (!k.allowlist.empty()) __builtin_prefetch(k.allowlist.ranges().data());
}

}  // namespace

size_t KeyIndex::slot_of(std::string_view api_key, uint64_t h) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = home(h);; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (!s.entry || (s.hash == h && s.entry->key.api_key == api_key)) return i;
  }
}

void KeyIndex::grow_to(size_t capacity) {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.resize(capacity);
  shift_ = 64 - std::countr_zero(capacity);
  hint_slots_.store(slots_.data(), std::memory_order_relaxed);
  hint_shift_.store(shift_, std::memory_order_relaxed);
  for (Slot& s : old) {
    if (s.entry) slots_[slot_of(s.entry->key.api_key, s.hash)] = std::move(s);
  }
}

std::shared_ptr<const KeyEntry> KeyIndex::find(std::string_view api_key) const {
  const uint64_t h = hash(api_key);
  std::shared_lock lock(mu_);
  if (slots_.empty()) return nullptr;
  // Most keys are in their home slot: fetch the entry's parts before its text is compared.
  if (const Slot& first = slots_[home(h)]; first.entry && first.hash == h) prefetch_parts(*first.entry);
  return slots_[slot_of(api_key, h)].entry;
}

void KeyIndex::prefetch(std::string_view api_key) const {
  // Only a hint: a table grown meanwhile makes it useless, never wrong (a prefetch cannot fault),
  // so the address is computed as an integer and may point anywhere.
  const auto base = reinterpret_cast<uintptr_t>(hint_slots_.load(std::memory_order_relaxed));
  const int shift = hint_shift_.load(std::memory_order_relaxed);
  if (base == 0 || shift >= 64) return;
  // Every line of the slot: a quarter of the 24-byte slots straddle two.
  prefetch_lines(reinterpret_cast<const void*>(base + (hash(api_key) >> shift) * sizeof(Slot)), sizeof(Slot));
}

void KeyIndex::put(std::shared_ptr<const KeyEntry> entry) {
  const uint64_t h = hash(entry->key.api_key);
  std::unique_lock lock(mu_);
  if (2 * (size_ + 1) > slots_.size()) grow_to(std::max<size_t>(1024, 2 * slots_.size()));
  Slot& s = slots_[slot_of(entry->key.api_key, h)];
  if (!s.entry) ++size_;
  s.hash = h;
  s.entry = std::move(entry);
}

void KeyIndex::reserve(size_t keys) {
  std::unique_lock lock(mu_);
  const size_t want = std::bit_ceil(std::max<size_t>(1024, 2 * keys));
  if (want > slots_.size()) grow_to(want);
}

void KeyIndex::erase(std::string_view api_key) {
  std::unique_lock lock(mu_);
  if (slots_.empty()) return;
  const size_t mask = slots_.size() - 1;
  size_t hole = slot_of(api_key, hash(api_key));
  if (!slots_[hole].entry) return;
  slots_[hole] = Slot{};
  --size_;
  // Backward shift: move up each later slot of the run that may live at the hole (its home is not
  // in the cyclic range (hole, i]), so every probe still meets its key before an empty slot.
  for (size_t i = (hole + 1) & mask; slots_[i].entry; i = (i + 1) & mask) {
    const size_t h = home(slots_[i].hash);
    const bool stays = hole < i ? (hole < h && h <= i) : (hole < h || h <= i);
    if (!stays) {
      slots_[hole] = std::move(slots_[i]);
      slots_[i] = Slot{};
      hole = i;
    }
  }
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

bool KeyIndex::usable_for_reading(std::string_view api_key, int64_t now_ms) const {
  auto entry = find(api_key);
  return entry && entry->key.active && !entry->key.expired(now_ms) && !user_blocked(entry->key.user_id) &&
         has(entry->key.effective_permissions(now_ms), Permission::kRead);
}

size_t KeyIndex::size() const {
  std::shared_lock lock(mu_);
  return size_;
}

}  // namespace kg::keys
