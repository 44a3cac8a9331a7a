// Binance's public market data: depth, trades, historicalTrades (key only), aggTrades, klines
// (and uiKlines), avgPrice and the tickers. The tickers, recent trades and average price come from memory
// (trading::MarketData, fed after each commit) and run on the network thread; history and depth
// read the store or the engine and run on the worker pool. Weights are Binance's.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <optional>
#include <string>

#include "api/api.hpp"
#include "api/json_body.hpp"
#include "api/params.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;
using trading::Ticker;

constexpr int64_t kHourMs = 3'600'000;

// Public routes parse their own query (the gatekeeper parses it for key-only routes).
template <typename F>
Response with_params(Context& ctx, F&& answer) {
  if (ctx.params) return answer();
  auto params = parse_params(ctx.request.query, {});
  if (!params) return error_response(params.error());
  ctx.params = &*params;
  return answer();
}

Result<const Market*> market_of(const Services& s, const Context& ctx) {
  auto symbol = ctx.params->get("symbol");
  if (!symbol || symbol->empty()) return make_error(err::kBadParam, "symbol");
  const Market* m = s.exchange.find_market(std::string(*symbol));
  if (!m) return make_error(err::kBadSymbol);
  return m;
}

// A limit in [1, max]; more is cut to max, as Binance does.
Result<size_t> limit_param(const Context& ctx, int64_t fallback, int64_t max) {
  auto limit = int_param(ctx, "limit", fallback, 1, INT64_MAX);
  if (!limit) return limit.error();
  return static_cast<size_t>(std::min(*limit, max));
}

Result<std::optional<int64_t>> optional_int(const Context& ctx, std::string_view name) {
  if (!ctx.params->has(name)) return std::optional<int64_t>{};
  auto v = int_param(ctx, name, 0, 0, INT64_MAX);
  if (!v) return v.error();
  return std::optional<int64_t>{*v};
}

// startTime and endTime, either optional; start after end is -1023.
struct Window {
  std::optional<int64_t> start, end;
};
Result<Window> window_params(const Context& ctx) {
  auto start = optional_int(ctx, "startTime");
  if (!start) return start.error();
  auto end = optional_int(ctx, "endTime");
  if (!end) return end.error();
  if (*start && *end && **start > **end) return make_error(err::kStartAfterEnd);
  return Window{*start, *end};
}

json::object trade_json(const trading::TradeTick& t) {
  return json::object{{"id", t.id},
                      {"price", amount_text(t.price)},
                      {"qty", amount_text(t.qty)},
                      {"quoteQty", amount_text(t.quote_qty)},
                      {"time", t.time_ms},
                      {"isBuyerMaker", t.buyer_maker},
                      {"isBestMatch", true}};
}

json::array trades_json(const std::vector<trading::TradeTick>& trades) {
  json::array out;
  for (const auto& t : trades) out.push_back(trade_json(t));
  return out;
}

Response depth(const Services& s, Context& ctx) {
  return with_params(ctx, [&] {
    auto market = market_of(s, ctx);
    if (!market) return error_response(market.error());
    auto limit = limit_param(ctx, 100, 5000);
    if (!limit) return error_response(limit.error());
    auto d = s.trading.depth((*market)->symbol, *limit);
    if (!d) return error_response(d.error());
    auto levels = [](const std::vector<matching::Level>& side) {
      json::array out;
      for (const auto& l : side) out.push_back(json::array{amount_text(l.price), amount_text(l.quantity)});
      return out;
    };
    return json_response(json::object{
        {"lastUpdateId", d->last_update_id}, {"bids", levels(d->bids)}, {"asks", levels(d->asks)}});
  });
}

Response recent_trades(const Services& s, Context& ctx) {
  return with_params(ctx, [&] {
    auto market = market_of(s, ctx);
    if (!market) return error_response(market.error());
    auto limit = limit_param(ctx, 500, 1000);
    if (!limit) return error_response(limit.error());
    return json_response(trades_json(s.trading.market().recent_trades((*market)->symbol, *limit)));
  });
}

Response historical_trades(const Services& s, Context& ctx) {
  auto market = market_of(s, ctx);
  if (!market) return error_response(market.error());
  auto limit = limit_param(ctx, 500, 1000);
  if (!limit) return error_response(limit.error());
  auto from = optional_int(ctx, "fromId");
  if (!from) return error_response(from.error());
  return json_response(trades_json(s.trading.historical_trades((*market)->symbol, *from, *limit)));
}

Response agg_trades(const Services& s, Context& ctx) {
  return with_params(ctx, [&] {
    auto market = market_of(s, ctx);
    if (!market) return error_response(market.error());
    trading::AggQuery q;
    q.symbol = (*market)->symbol;
    auto from = optional_int(ctx, "fromId");
    if (!from) return error_response(from.error());
    q.from_id = *from;
    auto w = window_params(ctx);
    if (!w) return error_response(w.error());
    q.start_ms = w->start;
    q.end_ms = w->end;
    if (q.from_id && (q.start_ms || q.end_ms)) return error_response(make_error(err::kBadParamCombination));
    if (q.start_ms && q.end_ms && *q.end_ms - *q.start_ms > kHourMs) {
      return error_response(make_error(err::kIntervalTooBig));
    }
    auto limit = limit_param(ctx, 500, 1000);
    if (!limit) return error_response(limit.error());
    q.limit = *limit;
    json::array out;
    for (const auto& a : s.trading.agg_trades(q)) {
      out.push_back(json::object{{"a", a.id},
                                 {"p", amount_text(a.price)},
                                 {"q", amount_text(a.qty)},
                                 {"f", a.first_id},
                                 {"l", a.last_id},
                                 {"T", a.time_ms},
                                 {"m", a.buyer_maker},
                                 {"M", true}});
    }
    return json_response(out);
  });
}

Response klines(const Services& s, Context& ctx) {
  return with_params(ctx, [&] {
    auto market = market_of(s, ctx);
    if (!market) return error_response(market.error());
    auto name = ctx.params->get("interval");
    if (!name || name->empty()) return error_response(make_error(err::kBadParam, "interval"));
    auto interval = trading::parse_interval(*name);
    if (!interval) return error_response(make_error(err::kBadInterval));
    trading::KlineQuery q;
    q.symbol = (*market)->symbol;
    q.interval = *interval;
    auto w = window_params(ctx);
    if (!w) return error_response(w.error());
    q.start_ms = w->start;
    q.end_ms = w->end;
    if (auto tz = ctx.params->get("timeZone")) {
      auto offset = trading::parse_time_zone(*tz);
      if (!offset) return error_response(make_error(err::kBadParam, "timeZone"));
      q.tz_offset_ms = *offset;
    }
    auto limit = limit_param(ctx, 500, 1000);
    if (!limit) return error_response(limit.error());
    q.limit = *limit;
    q.now_ms = s.clock.now_ms();
    json::array out;
    for (const auto& k : s.trading.klines(q)) {
      out.push_back(json::array{k.open_time, amount_text(k.open), amount_text(k.high),
                                amount_text(k.low), amount_text(k.close), amount_text(k.volume),
                                k.close_time, amount_text(k.quote_volume), k.count,
                                amount_text(k.taker_buy_volume),
                                amount_text(k.taker_buy_quote_volume), "0"});
    }
    return json_response(out);
  });
}

Response avg_price(const Services& s, Context& ctx) {
  return with_params(ctx, [&] {
    auto market = market_of(s, ctx);
    if (!market) return error_response(market.error());
    auto avg = s.trading.market().avg_price((*market)->symbol, s.clock.now_ms());
    const trading::MarketData::AvgPrice a = avg.value_or(trading::MarketData::AvgPrice{});
    return json_response(json::object{{"mins", trading::MarketData::kAvgPriceMinutes},
                                      {"price", amount_text(a.price)},
                                      {"closeTime", a.close_time}});
  });
}

json::object ticker_json(const std::string& symbol, const Ticker& t, bool full) {
  json::object out{{"symbol", symbol}};
  if (full) {
    out["priceChange"] = amount_text(t.price_change());
    out["priceChangePercent"] = format_decimal(t.change_permille_percent(), 3);
    out["weightedAvgPrice"] = amount_text(t.weighted_avg_price());
    out["prevClosePrice"] = amount_text(t.prev_close_price);
  }
  out["openPrice"] = amount_text(t.open_price);
  out["highPrice"] = amount_text(t.high_price);
  out["lowPrice"] = amount_text(t.low_price);
  out["lastPrice"] = amount_text(t.last_price);
  if (full) {
    out["lastQty"] = amount_text(t.last_qty);
    out["bidPrice"] = amount_text(t.top.bid_price);
    out["bidQty"] = amount_text(t.top.bid_qty);
    out["askPrice"] = amount_text(t.top.ask_price);
    out["askQty"] = amount_text(t.top.ask_qty);
  }
  out["volume"] = amount_text(t.volume);
  out["quoteVolume"] = amount_text(t.quote_volume);
  out["openTime"] = t.open_time;
  out["closeTime"] = t.close_time;
  out["firstId"] = t.first_id;
  out["lastId"] = t.last_id;
  out["count"] = t.count;
  return out;
}

// ?symbol=X answers one object; ?symbols=[...] or nothing, an array of every market asked for.
template <typename Encode>
Response per_market(const Services& s, Context& ctx, Encode encode) {
  return with_params(ctx, [&] {
    auto markets = selected_markets(s.exchange, *ctx.params);
    if (!markets) return error_response(markets.error());
    if (ctx.params->has("symbol")) return json_response(encode(*markets->front()));
    json::array out;
    for (const Market* m : *markets) out.push_back(encode(*m));
    return json_response(out);
  });
}

Response ticker_24hr(const Services& s, Context& ctx) {
  return with_params(ctx, [&] {
    bool full = true;
    if (auto type = ctx.params->get("type")) {
      if (*type != "FULL" && *type != "MINI") return error_response(make_error(err::kBadParam, "type"));
      full = *type == "FULL";
    }
    const int64_t now = s.clock.now_ms();
    return per_market(s, ctx, [&](const Market& m) {
      return ticker_json(m.symbol, s.trading.market().ticker(m.symbol, now).value_or(Ticker{}), full);
    });
  });
}

Response ticker_price(const Services& s, Context& ctx) {
  return per_market(s, ctx, [&](const Market& m) {
    auto last = s.trading.market().last_trade(m.symbol);
    return json::object{{"symbol", m.symbol}, {"price", amount_text(last ? last->price : 0)}};
  });
}

Response book_ticker(const Services& s, Context& ctx) {
  return per_market(s, ctx, [&](const Market& m) {
    const auto top = s.trading.market().top(m.symbol).value_or(trading::BookTop{});
    return json::object{{"symbol", m.symbol},
                        {"bidPrice", amount_text(top.bid_price)},
                        {"bidQty", amount_text(top.bid_qty)},
                        {"askPrice", amount_text(top.ask_price)},
                        {"askQty", amount_text(top.ask_qty)}};
  });
}

// Binance's weights: depth by limit; tickers by how many symbols are asked for.
int depth_weight(std::string_view query) {
  // Decoded, as the handler reads it: "limit=%35000" asks for 5,000 levels and weighs 250.
  auto raw = raw_query_value(query, "limit");
  auto limit = raw ? percent_decode(*raw, "limit") : Result<std::string>(make_error(err::kBadParam, "limit"));
  const auto n = limit ? parse_decimal(*limit, 0) : std::optional<int64_t>{};
  if (!n || *n <= 100) return 5;
  if (*n <= 500) return 25;
  if (*n <= 1000) return 50;
  return 250;
}
int symbols_asked(std::string_view query) {
  if (raw_query_value(query, "symbol")) return 1;
  auto symbols = raw_query_value(query, "symbols");
  if (!symbols) return -1;  // all of them
  // Each name is quoted: count the quotes, raw (") or percent-encoded (%22).
  int quotes = 0;
  for (size_t i = 0; i < symbols->size(); ++i) {
    if ((*symbols)[i] == '"') ++quotes;
    if (symbols->substr(i, 3) == "%22") ++quotes;
  }
  return std::max(1, quotes / 2);
}
int ticker_24hr_weight(std::string_view query) {
  const int n = symbols_asked(query);
  if (n < 0 || n > 100) return 80;
  return n <= 20 ? 2 : 40;
}
int one_or_all_weight(std::string_view query) {
  return symbols_asked(query) == 1 ? 2 : 4;
}

}  // namespace

void add_market_routes(Router& router, const Services& s) {
  router.add(Route{"GET", "/api/v3/depth", Security::kNone, 5, true,
                   [&s](Context& ctx) { return depth(s, ctx); }}
                 .weighed(depth_weight));
  router.add({"GET", "/api/v3/trades", Security::kNone, 25, false,
              [&s](Context& ctx) { return recent_trades(s, ctx); }});
  router.add({"GET", "/api/v3/historicalTrades", Security::kUserStream, 25, true,
              [&s](Context& ctx) { return historical_trades(s, ctx); }});
  router.add({"GET", "/api/v3/aggTrades", Security::kNone, 2, true,
              [&s](Context& ctx) { return agg_trades(s, ctx); }});
  router.add({"GET", "/api/v3/klines", Security::kNone, 2, true,
              [&s](Context& ctx) { return klines(s, ctx); }});
  // Binance's klines "modified for presentation": keygate's klines already are (gaps are flat at
  // the last close), so both answer alike.
  router.add({"GET", "/api/v3/uiKlines", Security::kNone, 2, true,
              [&s](Context& ctx) { return klines(s, ctx); }});
  router.add({"GET", "/api/v3/avgPrice", Security::kNone, 2, false,
              [&s](Context& ctx) { return avg_price(s, ctx); }});
  router.add(Route{"GET", "/api/v3/ticker/24hr", Security::kNone, 2, false,
                   [&s](Context& ctx) { return ticker_24hr(s, ctx); }}
                 .weighed(ticker_24hr_weight));
  router.add(Route{"GET", "/api/v3/ticker/price", Security::kNone, 2, false,
                   [&s](Context& ctx) { return ticker_price(s, ctx); }}
                 .weighed(one_or_all_weight));
  router.add(Route{"GET", "/api/v3/ticker/bookTicker", Security::kNone, 2, false,
                   [&s](Context& ctx) { return book_ticker(s, ctx); }}
                 .weighed(one_or_all_weight));
}

}  // namespace kg::api
