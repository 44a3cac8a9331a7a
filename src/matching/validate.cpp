#include "matching/validate.hpp"

#include <limits>

namespace kg::matching {

namespace {

__extension__ using Int128 = __int128;

Error filter(const char* name) {
  return make_error(err::kFilterFailure, name);
}

bool in_range(int64_t v, int64_t lo, int64_t hi) {
  return (lo <= 0 || v >= lo) && (hi <= 0 || v <= hi);
}

// `v` on the grid lo, lo + step, ...; a step of 0 means no grid.
bool on_grid(int64_t v, int64_t lo, int64_t step) {
  return step <= 0 || (v - lo) % step == 0;
}

bool notional_ok(const Market& m, Int128 notional) {
  if (notional > std::numeric_limits<int64_t>::max()) return false;
  return in_range(static_cast<int64_t>(notional), m.min_notional, m.max_notional);
}

Int128 notional_of(int64_t price, int64_t quantity) {
  return static_cast<Int128>(price) * quantity / kOne;
}

Status check_shape(const Order& o) {
  if (o.type != OrderType::kMarket) {
    if (o.quote_quantity != 0) return make_error(err::kBadParamCombination);
    return ok_status();
  }
  if (o.price != 0) return make_error(err::kBadParamCombination);
  if (o.quote_quantity < 0) return make_error(err::kBadParam, "quoteOrderQty");
  if (o.quantity != 0 && o.quote_quantity != 0) return make_error(err::kBadParamCombination);
  if (o.quantity == 0 && o.quote_quantity == 0) return make_error(err::kBadParam, "quantity");
  return ok_status();
}

}  // namespace

Status validate(const Market& m, const Order& o, int64_t reference_price) {
  if (Status s = check_shape(o); !s) return s;
  const bool limit = o.type != OrderType::kMarket;
  if (limit) {
    if (o.price <= 0 || !in_range(o.price, m.min_price, m.max_price) ||
        !on_grid(o.price, m.min_price, m.tick_size)) {
      return filter("PRICE_FILTER");
    }
  }
  if (!o.by_quote()) {
    if (o.quantity <= 0 || !in_range(o.quantity, m.min_qty, m.max_qty) ||
        !on_grid(o.quantity, m.min_qty, m.step_size)) {
      return filter("LOT_SIZE");
    }
  }
  if (!limit && !o.by_quote() && !in_range(o.quantity, m.market_min_qty, m.market_max_qty)) {
    return filter("MARKET_LOT_SIZE");
  }
  if (limit && !notional_ok(m, notional_of(o.price, o.quantity))) return filter("NOTIONAL");
  if (o.by_quote() && !notional_ok(m, o.quote_quantity)) {
    return filter("NOTIONAL");
  }
  if (!limit && !o.by_quote() && reference_price > 0 &&
      !notional_ok(m, notional_of(reference_price, o.quantity))) {
    return filter("NOTIONAL");
  }
  return ok_status();
}

}  // namespace kg::matching
