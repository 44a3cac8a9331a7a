#pragma once
// How much a MARKET order can spend, worked out before it runs, so that it can be held first.
// A MARKET BUY by quantity spends quote and a MARKET SELL by quoteOrderQty spends base, and
// neither amount is in the order: it depends on the book. These functions walk the opposite
// side's levels (best first, as OrderBook::depth gives them, with the taker's own resting orders
// already taken out when self-trade prevention would expire them) and return an amount the
// order can never exceed. Pure; the proof of each bound is next to it.

#include <cstdint>
#include <optional>
#include <vector>

#include "matching/types.hpp"

namespace kg::trading {

// The most quote a MARKET BUY of `quantity` base can spend taking from `asks`. nullopt when the
// levels ran out before the quantity did and `complete` is false (ask again with more levels).
std::optional<int64_t> buy_cost_bound(const std::vector<matching::Level>& asks, int64_t quantity,
                                      bool complete);

// The most base a MARKET SELL for `quote` of quote can hand over taking from `bids`.
std::optional<int64_t> sell_base_bound(const std::vector<matching::Level>& bids, int64_t quote,
                                       bool complete);

}  // namespace kg::trading
