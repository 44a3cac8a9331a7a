#pragma once
// The same book as OrderBook, written to be obviously right rather than fast: every open order in
// one vector in arrival order, linear scans for the best maker, and a FOK tried as an IOC on a
// copy of the whole book and kept only if it filled. Tests hold OrderBook to it; nothing else
// should use it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "matching/types.hpp"

namespace kg::matching {

class ReferenceBook {
 public:
  explicit ReferenceBook(int64_t step = 1);

  void add(const Order& order, Events& out);
  Events add(const Order& order);
  bool cancel(int64_t id, Events& out);
  Events cancel(int64_t id);

  std::optional<int64_t> best_bid() const;
  std::optional<int64_t> best_ask() const;
  std::vector<Level> depth(Side side, size_t max_levels) const;
  std::optional<OpenOrder> find(int64_t id) const;
  size_t size() const { return orders_.size(); }
  int64_t step() const { return step_; }

 private:
  // Index in orders_ of the maker `taker` would trade with next, or -1.
  int best_maker(const Order& taker) const;
  void take(const Order& taker, Events& out);

  int64_t step_;
  std::vector<OpenOrder> orders_;  // every open order, in arrival order
};

}  // namespace kg::matching
