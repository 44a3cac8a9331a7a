// Binance's Convert endpoints (SAPI "convert"): a quote, its acceptance, and the history. The
// wallet's Convert prices and settles; this file only decodes parameters and encodes Binance JSON.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>

#include "api/api.hpp"
#include "api/json_body.hpp"
#include "api/params.hpp"
#include "common/decimal.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;
using keys::Permission;

constexpr int64_t kMaxFlowWindowMs = 30LL * 24 * 3600 * 1000;  // Binance: at most 30 days

// A positive amount with at most 8 decimals, if the parameter is there.
Result<std::optional<int64_t>> amount_param(const Context& ctx, std::string_view name) {
  auto text = ctx.params->get(name);
  if (!text) return std::optional<int64_t>();
  auto v = parse_decimal(*text, kAmountScale);
  if (!v || *v <= 0) return make_error(err::kBadParam, name);
  return std::optional<int64_t>(*v);
}

// Binance's validTime: 10s (the default), 30s, 1m, 2m.
Result<int64_t> valid_ms_param(const Context& ctx) {
  auto text = ctx.params->get("validTime");
  if (!text) return wallet::kDefaultQuoteValidMs;
  if (*text == "10s") return 10'000;
  if (*text == "30s") return 30'000;
  if (*text == "1m") return 60'000;
  if (*text == "2m") return 120'000;
  return make_error(err::kBadParam, "validTime");
}

json::object order_json(const wallet::ConvertOrder& o) {
  return json::object{{"quoteId", o.quote_id},
                      {"orderId", o.order_id},
                      {"orderStatus", o.status},
                      {"fromAsset", o.from_asset},
                      {"fromAmount", amount_text(o.pricing.from_amount)},
                      {"toAsset", o.to_asset},
                      {"toAmount", amount_text(o.pricing.to_amount)},
                      {"ratio", amount_text(o.pricing.ratio)},
                      {"inverseRatio", amount_text(o.pricing.inverse_ratio)},
                      {"createTime", o.created_ms}};
}

Response get_quote(wallet::Convert& convert, Context& ctx) {
  const std::string from = param(ctx, "fromAsset");
  if (from.empty()) return error_response(make_error(err::kBadParam, "fromAsset"));
  const std::string to = param(ctx, "toAsset");
  if (to.empty()) return error_response(make_error(err::kBadParam, "toAsset"));
  auto from_amount = amount_param(ctx, "fromAmount");
  if (!from_amount) return error_response(from_amount.error());
  auto to_amount = amount_param(ctx, "toAmount");
  if (!to_amount) return error_response(to_amount.error());
  if (*from_amount && *to_amount) return error_response(make_error(err::kBadParamCombination));
  if (!*from_amount && !*to_amount) return error_response(make_error(err::kBadParam, "fromAmount"));
  auto valid_ms = valid_ms_param(ctx);
  if (!valid_ms) return error_response(valid_ms.error());
  // walletType (SPOT, FUNDING, ...) is accepted and ignored: keygate has one wallet per user.
  auto q = convert.get_quote({ctx.key->key.user_id, from, to, from_amount->value_or(0),
                              to_amount->value_or(0), *valid_ms});
  if (!q) return error_response(q.error());
  return json_response(json::object{{"quoteId", q->quote_id},
                                    {"ratio", amount_text(q->pricing.ratio)},
                                    {"inverseRatio", amount_text(q->pricing.inverse_ratio)},
                                    {"validTimestamp", q->valid_until_ms},
                                    {"toAmount", amount_text(q->pricing.to_amount)},
                                    {"fromAmount", amount_text(q->pricing.from_amount)}});
}

Response accept_quote(wallet::Convert& convert, Context& ctx) {
  const std::string quote_id = param(ctx, "quoteId");
  if (quote_id.empty()) return error_response(make_error(err::kBadParam, "quoteId"));
  auto o = convert.accept_quote(ctx.key->key.user_id, quote_id);
  if (!o) return error_response(o.error());
  // Binance sends this orderId as a string (and as a number elsewhere).
  return json_response(json::object{{"orderId", std::to_string(o->order_id)},
                                    {"createTime", o->created_ms},
                                    {"orderStatus", o->status}});
}

Response order_status(wallet::Convert& convert, Context& ctx) {
  const bool by_order = ctx.params->has("orderId");
  const std::string quote_id = param(ctx, "quoteId");
  if (by_order && !quote_id.empty()) return error_response(make_error(err::kBadParamCombination));
  const int64_t me = ctx.key->key.user_id;
  Result<wallet::ConvertOrder> o = make_error(err::kConvertOrderNotFound);
  if (by_order) {
    auto id = int_param(ctx, "orderId", std::nullopt, 1, INT64_MAX);
    if (!id) return error_response(id.error());
    o = convert.order_status(me, *id);
  } else if (!quote_id.empty()) {
    o = convert.order_by_quote(me, quote_id);
  } else {
    return error_response(make_error(err::kBadParam, "orderId"));
  }
  if (!o) return error_response(o.error());
  json::object out = order_json(*o);
  out.erase("quoteId");  // Binance's orderStatus has no quoteId
  return json_response(out);
}

Response trade_flow(wallet::Convert& convert, Context& ctx) {
  auto start = int_param(ctx, "startTime", std::nullopt, 0, INT64_MAX);
  if (!start) return error_response(start.error());
  auto end = int_param(ctx, "endTime", std::nullopt, 0, INT64_MAX);
  if (!end) return error_response(end.error());
  if (*end < *start) return error_response(make_error(err::kBadParam, "endTime"));
  if (*end - *start > kMaxFlowWindowMs) return error_response(make_error(err::kIntervalTooBig));
  auto limit = int_param(ctx, "limit", 100, 1, 1000);
  if (!limit) return error_response(limit.error());
  const auto page =
      convert.trade_flow(ctx.key->key.user_id, *start, *end, static_cast<size_t>(*limit));
  json::array list;
  for (const auto& o : page.orders) list.push_back(order_json(o));
  return json_response(json::object{{"list", std::move(list)},
                                    {"startTime", *start},
                                    {"endTime", *end},
                                    {"limit", *limit},
                                    {"moreData", page.more}});
}
}  // namespace

void add_convert_routes(Router& router, const Services& s) {
  wallet::Convert& convert = s.convert;
  router.add({"POST", "/sapi/v1/convert/getQuote", Security::kUserData, 1, true,
              [&convert](Context& ctx) { return get_quote(convert, ctx); }, Permission::kConvert});
  router.add({"POST", "/sapi/v1/convert/acceptQuote", Security::kUserData, 1, true,
              [&convert](Context& ctx) { return accept_quote(convert, ctx); },
              Permission::kConvert});
  router.add({"GET", "/sapi/v1/convert/orderStatus", Security::kUserData, 1, true,
              [&convert](Context& ctx) { return order_status(convert, ctx); }, Permission::kRead});
  router.add({"GET", "/sapi/v1/convert/tradeFlow", Security::kUserData, 1, true,
              [&convert](Context& ctx) { return trade_flow(convert, ctx); }, Permission::kRead});
}

}  // namespace kg::api
