#pragma once
// Refuses a signature that was already accepted while its request could still be accepted.
// A client that polls signs a new timestamp every time, so only true replays are refused.
// Memory is bounded by what arrives within the largest recvWindow (60 s). Signatures are kept as
// 64-bit fingerprints in flat open-addressing tables (one per shard, linear probing; expired
// slots are reused), so a check costs a hash and usually one cache line. A false "replay"
// needs two valid signatures of one key to collide: about 1 in 10^19 per pair.

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

namespace kg::auth {

class ReplayGuard {
 public:
  ReplayGuard();

  // The 64-bit fingerprint of a signature of a key; `prefetch` it early (before verifying the
  // signature, which takes long enough to hide the memory access), then `first_use` it.
  static uint64_t fingerprint(int64_t key_id, std::string_view signature);
  void prefetch(uint64_t fingerprint) const;
  bool first_use(uint64_t fingerprint, int64_t expires_at_ms, int64_t now_ms);

  // True the first time (and remembers it until expires_at_ms); false for a replay. Method and path
  // are not signed, so the fingerprint leaves them out: a captured request replayed against
  // another endpoint is refused too. `signature` must be canonical (lower-case hex, raw bytes).
  bool first_use(std::string_view key_id, std::string_view signature, int64_t expires_at_ms, int64_t now_ms);

 private:
  struct Slot {
    uint64_t fingerprint = 0;  // 0: never used
    int64_t expires_at = 0;    // a slot whose time has passed is free again
  };
  struct Shard {
    std::mutex mu;
    std::vector<Slot> slots;  // power-of-two size
    size_t used = 0;          // slots ever filled since the last rebuild (live or expired)
    // For prefetch without the lock: the table's address and mask, updated when it is rebuilt.
    std::atomic<const Slot*> hint_base{nullptr};
    std::atomic<size_t> hint_mask{0};
  };
  static void rebuild(Shard& shard, int64_t now_ms);

  static constexpr size_t kShards = 16;
  std::array<Shard, kShards> shards_;
};

}  // namespace kg::auth
