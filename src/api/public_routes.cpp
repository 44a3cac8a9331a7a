// Binance's public endpoints: ping, time, exchangeInfo.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "api/api.hpp"
#include "api/json_body.hpp"
#include "api/params.hpp"
#include "common/decimal.hpp"
#include "common/query.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;

constexpr std::string_view kSymbolRange = "^[A-Z0-9-_.]{1,20}$";

bool valid_symbol_chars(std::string_view s) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string amount(int64_t units) { return format_decimal(units, kAmountScale); }

json::object symbol_json(const Market& m) {
  json::array filters;
  filters.push_back(json::object{{"filterType", "PRICE_FILTER"},
                                 {"minPrice", amount(m.min_price)},
                                 {"maxPrice", amount(m.max_price)},
                                 {"tickSize", amount(m.tick_size)}});
  filters.push_back(json::object{{"filterType", "LOT_SIZE"},
                                 {"minQty", amount(m.min_qty)},
                                 {"maxQty", amount(m.max_qty)},
                                 {"stepSize", amount(m.step_size)}});
  filters.push_back(json::object{{"filterType", "MARKET_LOT_SIZE"},
                                 {"minQty", amount(m.market_min_qty)},
                                 {"maxQty", amount(m.market_max_qty)},
                                 {"stepSize", amount(0)}});
  filters.push_back(json::object{{"filterType", "NOTIONAL"},
                                 {"minNotional", amount(m.min_notional)},
                                 {"applyMinToMarket", true},
                                 {"maxNotional", amount(m.max_notional)},
                                 {"applyMaxToMarket", false},
                                 {"avgPriceMins", 5}});
  json::array stp_modes{"NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"};
  return json::object{{"symbol", m.symbol},
                      {"status", "TRADING"},
                      {"baseAsset", m.base},
                      {"baseAssetPrecision", m.base_precision},
                      {"quoteAsset", m.quote},
                      {"quotePrecision", m.quote_precision},
                      {"quoteAssetPrecision", m.quote_precision},
                      {"baseCommissionPrecision", m.base_precision},
                      {"quoteCommissionPrecision", m.quote_precision},
                      {"orderTypes", json::array{"LIMIT", "LIMIT_MAKER", "MARKET"}},
                      {"icebergAllowed", false},
                      {"ocoAllowed", false},
                      {"otoAllowed", false},
                      {"quoteOrderQtyMarketAllowed", true},
                      {"allowTrailingStop", false},
                      {"cancelReplaceAllowed", false},
                      {"isSpotTradingAllowed", true},
                      {"isMarginTradingAllowed", false},
                      {"filters", std::move(filters)},
                      {"permissions", json::array{}},
                      {"permissionSets", json::array{json::array{"SPOT"}}},
                      {"defaultSelfTradePreventionMode", "EXPIRE_MAKER"},
                      {"allowedSelfTradePreventionModes", std::move(stp_modes)}};
}

}  // namespace

Result<std::vector<const Market*>> selected_markets(const ExchangeSpec& ex, const Params& params) {
  const auto one = params.get("symbol");
  const auto many = params.get("symbols");
  if (one && many) return make_error(err::kBadParamCombination);
  std::vector<std::string> names;
  if (one) {
    names.emplace_back(*one);
  } else if (many) {
    boost::system::error_code ec;
    json::value v = json::parse(*many, ec);
    if (ec || !v.is_array() || v.as_array().empty()) return make_error(err::kBadParam, "symbols");
    for (const auto& item : v.as_array()) {
      if (!item.is_string()) return make_error(err::kBadParam, "symbols");
      names.emplace_back(item.as_string());
    }
  } else {
    std::vector<const Market*> all;
    for (const auto& m : ex.markets) all.push_back(&m);
    return all;
  }
  std::vector<const Market*> out;
  for (const auto& name : names) {
    if (!valid_symbol_chars(name)) return make_error(err::kIllegalChars, one ? "symbol" : "symbols", kSymbolRange);
    const Market* m = ex.find_market(name);
    if (!m) return make_error(err::kBadSymbol);
    out.push_back(m);
  }
  return out;
}

void add_public_routes(Router& router, const Services& s) {
  router.add({"GET", "/api/v3/ping", Security::kNone, 1, false,
              [](Context&) { return json_response(json::object{}); }});

  router.add({"GET", "/api/v3/time", Security::kNone, 1, false, [&clock = s.clock](Context&) {
                return json_response(json::object{{"serverTime", clock.now_ms()}});
              }});

  router.add({"GET", "/api/v3/exchangeInfo", Security::kNone, 20, false,
              [&ex = s.exchange, &clock = s.clock](Context& ctx) {
                auto params = parse_params(ctx.request.query, {});
                if (!params) return error_response(params.error());
                auto markets = selected_markets(ex, *params);
                if (!markets) return error_response(markets.error());
                json::array limits;
                for (const auto& rl : ex.rate_limits) {
                  limits.push_back(json::object{{"rateLimitType", rl.type},
                                                {"interval", rl.interval},
                                                {"intervalNum", rl.interval_num},
                                                {"limit", rl.limit}});
                }
                json::array symbols;
                for (const Market* m : *markets) symbols.push_back(symbol_json(*m));
                return json_response(json::object{{"timezone", "UTC"},
                                                  {"serverTime", clock.now_ms()},
                                                  {"rateLimits", std::move(limits)},
                                                  {"exchangeFilters", json::array{}},
                                                  {"symbols", std::move(symbols)}});
              }});
}

}  // namespace kg::api
