#pragma once
// Order id -> slot in the book's node pool: an open-addressing hash table (linear probing,
// backward-shift deletion, no tombstones), so cancel by id is O(1) without a heap node per order
// as std::unordered_map would allocate. Ids are positive; 0 marks an empty slot.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kg::matching {

class IdIndex {
 public:
  IdIndex() : slots_(16) {}

  // The value stored for `id`, or -1.
  int32_t find(int64_t id) const {
    for (size_t i = home(id);; i = (i + 1) & mask()) {
      if (slots_[i].id == id) return slots_[i].value;
      if (slots_[i].id == 0) return -1;
    }
  }

  // `id` must be absent.
  void insert(int64_t id, int32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(id, value);
    ++size_;
  }

  // `id` must be present.
  void erase(int64_t id) {
    size_t hole = home(id);
    while (slots_[hole].id != id) hole = (hole + 1) & mask();
    // Shift back every later entry of the probe run whose home is not between the hole and it,
    // so that no lookup ever stops early at the hole.
    for (size_t j = (hole + 1) & mask(); slots_[j].id != 0; j = (j + 1) & mask()) {
      const size_t h = home(slots_[j].id);
      const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
      if (stays) continue;
      slots_[hole] = slots_[j];
      hole = j;
    }
    slots_[hole] = Slot{};
    --size_;
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    int64_t id = 0;
    int32_t value = -1;
  };

  size_t mask() const { return slots_.size() - 1; }

  // splitmix64's finalizer: sequential ids spread over the table.
  size_t home(int64_t id) const {
    uint64_t x = static_cast<uint64_t>(id);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return static_cast<size_t>(x ^ (x >> 31)) & mask();
  }

  void place(int64_t id, int32_t value) {
    size_t i = home(id);
    while (slots_[i].id != 0) i = (i + 1) & mask();
    slots_[i] = Slot{id, value};
  }

  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.id != 0) place(s.id, s.value);
    }
  }

  std::vector<Slot> slots_;  // a power of two long, at most half full
  size_t size_ = 0;
};

}  // namespace kg::matching
