#pragma once
// Binance's checks on a new order against its market, for the caller to run before
// OrderBook::add (the book itself only stops on shapes no valid order has).

#include <cstdint>

#include "common/market.hpp"
#include "common/result.hpp"
#include "matching/types.hpp"

namespace kg::matching {

// The order's shape: a limit order with a positive price and quantity and no quoteOrderQty
// (-1128 if it has one); a MARKET order without a price (-1128) and with exactly one of quantity
// and quoteOrderQty (-1128 if both, -1102 'quantity' if neither). Then the filters, each a -1013
// "Filter failure: X" as Binance words it, checked in this order:
// - PRICE_FILTER (LIMIT, LIMIT_MAKER): minPrice <= price <= maxPrice and (price - minPrice) a
//   multiple of tickSize; a bound or the tick that is 0 is not checked.
// - LOT_SIZE (every order with a quantity): minQty <= quantity <= maxQty and (quantity - minQty)
//   a multiple of stepSize; quantity > 0. (The book wants quantities that are multiples of the
//   step itself, so a market's minQty must be one too.)
// - MARKET_LOT_SIZE (MARKET by quantity): market_min_qty <= quantity <= market_max_qty.
// - NOTIONAL: minNotional <= notional <= maxNotional, where notional is quote_of(price, quantity)
//   for limit orders, quoteOrderQty for MARKET by quote, and quote_of(reference_price, quantity)
//   for MARKET by quantity when reference_price > 0 (Binance uses the symbol's avgPrice; with 0
//   that check is left out). A notional beyond int64 always fails.
Status validate(const Market& market, const Order& order, int64_t reference_price = 0);

}  // namespace kg::matching
