// Binance's spot order endpoints (TRADE to place and cancel, READ to look). trading::Trading
// holds, matches and settles on the engine thread; this file only decodes parameters in
// Binance's order of checks and encodes Binance's JSON, field for field.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <optional>
#include <string>

#include "api/api.hpp"
#include "api/json_body.hpp"
#include "api/params.hpp"
#include "common/decimal.hpp"
#include "crypto/random.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;
using keys::Permission;
using trading::Order;
using trading::OrderRequest;

constexpr int64_t kDayMs = 86'400'000;  // Binance: allOrders and myTrades look at most 24 h at once
constexpr std::string_view kClientOrderIdRange = "^[\\.A-Z\\:/a-z0-9_-]{1,36}$";
constexpr std::string_view kDecimalRange = "^([0-9]{1,20})(\\.[0-9]{1,20})?$";

enum class RespType { kAck, kResult, kFull };

bool valid_client_order_id(std::string_view id) {
  if (id.empty() || id.size() > 36) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == ':' || c == '/' || c == '_' || c == '-';
  });
}

bool decimal_chars(std::string_view text) {
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view frac =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || whole.size() > 20 || !digits(whole)) return false;
  if (dot != std::string_view::npos && (frac.empty() || frac.size() > 20 || !digits(frac)))
    return false;
  return true;
}

// A decimal amount parameter: absent is 0; Binance's -1100 for what is not a number and -1111
// for more than 8 decimals.
Result<int64_t> decimal_param(const Context& ctx, std::string_view name) {
  auto text = ctx.params->get(name);
  if (!text) return int64_t{0};
  if (!decimal_chars(*text)) return make_error(err::kIllegalChars, name, kDecimalRange);
  auto v = parse_decimal(*text, kAmountScale);
  if (!v) return make_error(err::kTooMuchPrecision, name);
  return *v;
}

Result<const Market*> market_param(const Services& s, const Context& ctx) {
  auto symbol = ctx.params->get("symbol");
  if (!symbol || symbol->empty()) return make_error(err::kBadParam, "symbol");
  const Market* m = s.exchange.find_market(std::string(*symbol));
  if (!m) return make_error(err::kBadSymbol);
  return m;
}

// A client id parameter that may be absent (then one is made, as Binance makes 22 characters).
Result<std::string> client_id_param(const Context& ctx, std::string_view name) {
  auto text = ctx.params->get(name);
  if (!text) return "kg" + crypto::random_hex(10);
  if (!valid_client_order_id(*text))
    return make_error(err::kIllegalChars, name, kClientOrderIdRange);
  return std::string(*text);
}

template <typename E, size_t N>
std::optional<E> enum_param(std::string_view text, const E (&all)[N]) {
  for (E e : all) {
    if (matching::to_string(e) == text) return e;
  }
  return std::nullopt;
}

struct NewOrder {
  OrderRequest request;
  RespType resp = RespType::kFull;
};

Result<NewOrder> parse_new_order(const Services& s, const Context& ctx) {
  NewOrder n;
  OrderRequest& r = n.request;
  r.user_id = ctx.key->key.user_id;
  auto market = market_param(s, ctx);
  if (!market) return market.error();
  r.symbol = (*market)->symbol;

  auto side = ctx.params->get("side");
  if (!side || side->empty()) return make_error(err::kBadParam, "side");
  constexpr matching::Side kSides[] = {matching::Side::kBuy, matching::Side::kSell};
  auto side_value = enum_param(*side, kSides);
  if (!side_value) return make_error(err::kBadSide);
  r.side = *side_value;

  auto type = ctx.params->get("type");
  if (!type || type->empty()) return make_error(err::kBadParam, "type");
  constexpr matching::OrderType kTypes[] = {
      matching::OrderType::kLimit, matching::OrderType::kLimitMaker, matching::OrderType::kMarket};
  auto type_value = enum_param(*type, kTypes);
  if (!type_value) return make_error(err::kBadOrderType);
  r.type = *type_value;
  const bool limit = r.type == matching::OrderType::kLimit;
  const bool market_order = r.type == matching::OrderType::kMarket;

  auto tif = ctx.params->get("timeInForce");
  if (limit) {
    if (!tif || tif->empty()) return make_error(err::kBadParam, "timeInForce");
    constexpr matching::TimeInForce kTifs[] = {
        matching::TimeInForce::kGtc, matching::TimeInForce::kIoc, matching::TimeInForce::kFok};
    auto tif_value = enum_param(*tif, kTifs);
    if (!tif_value) return make_error(err::kBadTimeInForce);
    r.tif = *tif_value;
  } else if (tif) {
    return make_error(err::kParamNotRequired, "timeInForce");
  }
  for (const char* unsupported : {"stopPrice", "icebergQty", "trailingDelta"}) {
    if (ctx.params->has(unsupported)) return make_error(err::kParamNotRequired, unsupported);
  }

  auto quantity = decimal_param(ctx, "quantity");
  if (!quantity) return quantity.error();
  r.quantity = *quantity;
  auto quote = decimal_param(ctx, "quoteOrderQty");
  if (!quote) return quote.error();
  r.quote_quantity = *quote;
  auto price = decimal_param(ctx, "price");
  if (!price) return price.error();
  r.price = *price;
  if (market_order) {
    if (ctx.params->has("price")) return make_error(err::kParamNotRequired, "price");
  } else {
    if (ctx.params->has("quoteOrderQty"))
      return make_error(err::kParamNotRequired, "quoteOrderQty");
    if (!ctx.params->has("quantity")) return make_error(err::kBadParam, "quantity");
    if (!ctx.params->has("price")) return make_error(err::kBadParam, "price");
  }

  auto client_id = client_id_param(ctx, "newClientOrderId");
  if (!client_id) return client_id.error();
  r.client_order_id = *client_id;

  n.resp = r.type == matching::OrderType::kLimitMaker ? RespType::kAck : RespType::kFull;
  if (auto resp = ctx.params->get("newOrderRespType")) {
    if (*resp == "ACK") {
      n.resp = RespType::kAck;
    } else if (*resp == "RESULT") {
      n.resp = RespType::kResult;
    } else if (*resp == "FULL") {
      n.resp = RespType::kFull;
    } else {
      return make_error(err::kBadParam, "newOrderRespType");
    }
  }
  if (auto stp = ctx.params->get("selfTradePreventionMode")) {
    constexpr matching::SelfTradePrevention kModes[] = {
        matching::SelfTradePrevention::kNone, matching::SelfTradePrevention::kExpireTaker,
        matching::SelfTradePrevention::kExpireMaker, matching::SelfTradePrevention::kExpireBoth};
    auto mode = enum_param(*stp, kModes);
    if (!mode) return make_error(err::kBadParam, "selfTradePreventionMode");
    r.stp = *mode;
  }
  return n;
}

std::string text(std::string_view v) {
  return std::string(v);
}

// MARKET by quoteOrderQty has no quantity of its own: Binance shows what it bought or sold.
int64_t orig_qty(const Order& o) {
  return o.orig_qty > 0 ? o.orig_qty : o.executed_qty;
}

json::object ack_json(const Order& o) {
  return json::object{{"symbol", o.symbol},
                      {"orderId", o.order_id},
                      {"orderListId", -1},
                      {"clientOrderId", o.client_order_id},
                      {"transactTime", o.created_ms}};
}

json::object result_json(const Order& o) {
  json::object out = ack_json(o);
  out["price"] = amount_text(o.price);
  out["origQty"] = amount_text(orig_qty(o));
  out["executedQty"] = amount_text(o.executed_qty);
  out["origQuoteOrderQty"] = amount_text(o.orig_quote_qty);
  out["cummulativeQuoteQty"] = amount_text(o.cumm_quote_qty);
  out["status"] = text(matching::to_string(o.status));
  out["timeInForce"] = text(matching::to_string(o.tif));
  out["type"] = text(matching::to_string(o.type));
  out["side"] = text(matching::to_string(o.side));
  out["workingTime"] = o.created_ms;
  out["selfTradePreventionMode"] = text(matching::to_string(o.stp));
  return out;
}

json::object order_json(const Order& o) {
  return json::object{{"symbol", o.symbol},
                      {"orderId", o.order_id},
                      {"orderListId", -1},
                      {"clientOrderId", o.client_order_id},
                      {"price", amount_text(o.price)},
                      {"origQty", amount_text(orig_qty(o))},
                      {"executedQty", amount_text(o.executed_qty)},
                      {"cummulativeQuoteQty", amount_text(o.cumm_quote_qty)},
                      {"status", text(matching::to_string(o.status))},
                      {"timeInForce", text(matching::to_string(o.tif))},
                      {"type", text(matching::to_string(o.type))},
                      {"side", text(matching::to_string(o.side))},
                      {"stopPrice", amount_text(0)},
                      {"icebergQty", amount_text(0)},
                      {"time", o.created_ms},
                      {"updateTime", o.updated_ms},
                      {"isWorking", true},
                      {"workingTime", o.created_ms},
                      {"origQuoteOrderQty", amount_text(o.orig_quote_qty)},
                      {"selfTradePreventionMode", text(matching::to_string(o.stp))}};
}

json::object cancel_json(const Order& o, const std::string& cancel_client_id, int64_t now_ms) {
  return json::object{{"symbol", o.symbol},
                      {"origClientOrderId", o.client_order_id},
                      {"orderId", o.order_id},
                      {"orderListId", -1},
                      {"clientOrderId", cancel_client_id},
                      {"transactTime", now_ms},
                      {"price", amount_text(o.price)},
                      {"origQty", amount_text(orig_qty(o))},
                      {"executedQty", amount_text(o.executed_qty)},
                      {"origQuoteOrderQty", amount_text(o.orig_quote_qty)},
                      {"cummulativeQuoteQty", amount_text(o.cumm_quote_qty)},
                      {"status", text(matching::to_string(o.status))},
                      {"timeInForce", text(matching::to_string(o.tif))},
                      {"type", text(matching::to_string(o.type))},
                      {"side", text(matching::to_string(o.side))},
                      {"selfTradePreventionMode", text(matching::to_string(o.stp))}};
}

Response placed_response(const Result<trading::Placed>& placed, RespType resp) {
  if (!placed) return error_response(placed.error());
  if (resp == RespType::kAck) return json_response(ack_json(placed->order));
  json::object out = result_json(placed->order);
  if (resp == RespType::kFull) {
    json::array fills;
    for (const auto& f : placed->fills) {
      fills.push_back(json::object{{"price", amount_text(f.price)},
                                   {"qty", amount_text(f.qty)},
                                   {"commission", amount_text(f.commission)},
                                   {"commissionAsset", f.commission_asset},
                                   {"tradeId", f.trade_id}});
    }
    out["fills"] = std::move(fills);
  }
  return json_response(out);
}

// Answers once the order is durable, without a thread waiting for the engine: the engine thread
// only hands the result over; the JSON is made where the connection lives.
void new_order(const Services& s, Context& ctx, const Reply& reply) {
  auto parsed = parse_new_order(s, ctx);
  if (!parsed) return reply([e = parsed.error()] { return error_response(e); });
  const RespType resp = parsed->resp;
  s.trading.place_async(std::move(parsed->request), [reply, resp](Result<trading::Placed>&& placed) {
    reply([placed = std::move(placed), resp] { return placed_response(placed, resp); });
  });
}

Response test_order(const Services& s, Context& ctx) {
  auto parsed = parse_new_order(s, ctx);
  if (!parsed) return error_response(parsed.error());
  if (auto ok = s.trading.check(parsed->request); !ok) return error_response(ok.error());
  return json_response(json::object{});
}

// orderId or origClientOrderId (both: they must name the same order).
struct OrderRef {
  const Market* market = nullptr;
  int64_t order_id = 0;
  std::string client_order_id;
};

Result<OrderRef> order_ref_params(const Services& s, const Context& ctx) {
  OrderRef ref;
  auto market = market_param(s, ctx);
  if (!market) return market.error();
  ref.market = *market;
  auto id = int_param(ctx, "orderId", 0, 1, INT64_MAX);
  if (!id) return id.error();
  ref.order_id = *id;
  if (auto client = ctx.params->get("origClientOrderId"); client && !client->empty()) {
    ref.client_order_id = std::string(*client);
  }
  if (ref.order_id == 0 && ref.client_order_id.empty()) return make_error(err::kOrderIdMissing);
  return ref;
}

Response query_order(const Services& s, Context& ctx) {
  auto ref = order_ref_params(s, ctx);
  if (!ref) return error_response(ref.error());
  auto o = s.trading.order(ctx.key->key.user_id, ref->market->symbol, ref->order_id,
                           ref->client_order_id);
  if (!o) return error_response(o.error());
  return json_response(order_json(*o));
}

Response cancel_order(const Services& s, Context& ctx) {
  auto ref = order_ref_params(s, ctx);
  if (!ref) return error_response(ref.error());
  auto cancel_id = client_id_param(ctx, "newClientOrderId");
  if (!cancel_id) return error_response(cancel_id.error());
  auto o = s.trading.cancel(ctx.key->key.user_id, ref->market->symbol, ref->order_id,
                            ref->client_order_id);
  if (!o) return error_response(o.error());
  return json_response(cancel_json(*o, *cancel_id, o->updated_ms));
}

Response cancel_open_orders(const Services& s, Context& ctx) {
  auto market = market_param(s, ctx);
  if (!market) return error_response(market.error());
  auto done = s.trading.cancel_all(ctx.key->key.user_id, (*market)->symbol);
  if (!done) return error_response(done.error());
  json::array out;
  for (const auto& o : *done)
    out.push_back(cancel_json(o, "kg" + crypto::random_hex(10), o.updated_ms));
  return json_response(out);
}

Response open_orders(const Services& s, Context& ctx) {
  std::string symbol;
  if (ctx.params->has("symbol")) {
    auto market = market_param(s, ctx);
    if (!market) return error_response(market.error());
    symbol = (*market)->symbol;
  }
  json::array out;
  for (const auto& o : s.trading.open_orders(ctx.key->key.user_id, symbol))
    out.push_back(order_json(o));
  return json_response(out);
}

// startTime and endTime, at most 24 h apart.
Status read_window(const Context& ctx, int64_t& start, int64_t& end) {
  auto start_p = int_param(ctx, "startTime", 0, 0, INT64_MAX);
  if (!start_p) return start_p.error();
  auto end_p = int_param(ctx, "endTime", 0, 0, INT64_MAX);
  if (!end_p) return end_p.error();
  start = *start_p;
  end = *end_p;
  if (start > 0 && end > 0) {
    if (end < start) return make_error(err::kBadParam, "endTime");
    if (end - start > kDayMs) return make_error(err::kIntervalTooBig);
  }
  return ok_status();
}

Response all_orders(const Services& s, Context& ctx) {
  auto market = market_param(s, ctx);
  if (!market) return error_response(market.error());
  trading::OrderQuery q;
  q.symbol = (*market)->symbol;
  auto from = int_param(ctx, "orderId", 0, 1, INT64_MAX);
  if (!from) return error_response(from.error());
  q.from_order_id = *from;
  if (auto w = read_window(ctx, q.start_ms, q.end_ms); !w) return error_response(w.error());
  auto limit = int_param(ctx, "limit", 500, 1, 1000);
  if (!limit) return error_response(limit.error());
  q.limit = static_cast<size_t>(*limit);
  json::array out;
  for (const auto& o : s.trading.all_orders(ctx.key->key.user_id, q)) out.push_back(order_json(o));
  return json_response(out);
}

Response my_trades(const Services& s, Context& ctx) {
  auto market = market_param(s, ctx);
  if (!market) return error_response(market.error());
  trading::TradeQuery q;
  q.symbol = (*market)->symbol;
  auto order_id = int_param(ctx, "orderId", 0, 1, INT64_MAX);
  if (!order_id) return error_response(order_id.error());
  q.order_id = *order_id;
  auto from = int_param(ctx, "fromId", 0, 0, INT64_MAX);
  if (!from) return error_response(from.error());
  q.from_id = *from;
  if (auto w = read_window(ctx, q.start_ms, q.end_ms); !w) return error_response(w.error());
  auto limit = int_param(ctx, "limit", 500, 1, 1000);
  if (!limit) return error_response(limit.error());
  q.limit = static_cast<size_t>(*limit);
  json::array out;
  for (const auto& t : s.trading.my_trades(ctx.key->key.user_id, q)) {
    out.push_back(json::object{{"symbol", t.symbol},
                               {"id", t.trade_id},
                               {"orderId", t.order_id},
                               {"orderListId", -1},
                               {"price", amount_text(t.price)},
                               {"qty", amount_text(t.qty)},
                               {"quoteQty", amount_text(t.quote_qty)},
                               {"commission", amount_text(t.commission)},
                               {"commissionAsset", t.commission_asset},
                               {"time", t.time_ms},
                               {"isBuyer", t.is_buyer},
                               {"isMaker", t.is_maker},
                               {"isBestMatch", true}});
  }
  return json_response(out);
}

}  // namespace

void add_order_routes(Router& router, const Services& s) {
  router.add(Route{"POST", "/api/v3/order", Security::kTrade, 1, false, nullptr, Permission::kTrade}
                 .orders()
                 .answers_later([&s](Context& ctx, Reply reply) { new_order(s, ctx, reply); }));
  router.add({"POST", "/api/v3/order/test", Security::kTrade, 1, true,
              [&s](Context& ctx) { return test_order(s, ctx); }, Permission::kTrade});
  router.add({"GET", "/api/v3/order", Security::kUserData, 4, true,
              [&s](Context& ctx) { return query_order(s, ctx); }, Permission::kRead});
  router.add({"DELETE", "/api/v3/order", Security::kTrade, 1, true,
              [&s](Context& ctx) { return cancel_order(s, ctx); }, Permission::kTrade});
  router.add({"DELETE", "/api/v3/openOrders", Security::kTrade, 1, true,
              [&s](Context& ctx) { return cancel_open_orders(s, ctx); }, Permission::kTrade});
  router.add({"GET", "/api/v3/openOrders", Security::kUserData, 6, true,
              [&s](Context& ctx) { return open_orders(s, ctx); }, Permission::kRead});
  router.add({"GET", "/api/v3/allOrders", Security::kUserData, 20, true,
              [&s](Context& ctx) { return all_orders(s, ctx); }, Permission::kRead});
  router.add({"GET", "/api/v3/myTrades", Security::kUserData, 20, true,
              [&s](Context& ctx) { return my_trades(s, ctx); }, Permission::kRead});
}

}  // namespace kg::api
