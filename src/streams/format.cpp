#include "streams/format.hpp"

#include <fmt/format.h>

#include "common/decimal.hpp"

namespace kg::streams {

namespace {

std::string a(int64_t units) { return format_decimal(units, kAmountScale); }
const char* yes(bool b) { return b ? "true" : "false"; }

template <typename It>
void levels(std::string& out, It begin, It end) {
  out += '[';
  for (It it = begin; it != end; ++it) {
    if (it != begin) out += ',';
    fmt::format_to(std::back_inserter(out), R"(["{}","{}"])", a(it->first), a(it->second));
  }
  out += ']';
}

}  // namespace

std::string trade_event(const Market& m, const trading::TradeTick& t, int64_t now_ms) {
  return fmt::format(R"({{"e":"trade","E":{},"s":"{}","t":{},"p":"{}","q":"{}","T":{},"m":{},"M":true}})", now_ms,
                     m.symbol, t.id, a(t.price), a(t.qty), t.time_ms, yes(t.buyer_maker));
}

std::string agg_trade_event(const Market& m, const trading::AggTrade& t, int64_t now_ms) {
  return fmt::format(
      R"({{"e":"aggTrade","E":{},"s":"{}","a":{},"p":"{}","q":"{}","f":{},"l":{},"T":{},"m":{},"M":true}})", now_ms,
      m.symbol, t.id, a(t.price), a(t.qty), t.first_id, t.last_id, t.time_ms, yes(t.buyer_maker));
}

std::string depth_event(const Market& m, int64_t first_id, int64_t last_id, const std::map<int64_t, int64_t>& bids,
                        const std::map<int64_t, int64_t>& asks, int64_t now_ms) {
  std::string out =
      fmt::format(R"({{"e":"depthUpdate","E":{},"s":"{}","U":{},"u":{},"b":)", now_ms, m.symbol, first_id, last_id);
  levels(out, bids.rbegin(), bids.rend());
  out += R"(,"a":)";
  levels(out, asks.begin(), asks.end());
  out += '}';
  return out;
}

std::string book_ticker_event(const Market& m, int64_t update_id, const trading::BookTop& top) {
  return fmt::format(R"({{"u":{},"s":"{}","b":"{}","B":"{}","a":"{}","A":"{}"}})", update_id, m.symbol,
                     a(top.bid_price), a(top.bid_qty), a(top.ask_price), a(top.ask_qty));
}

std::string kline_event(const Market& m, const trading::Interval& iv, const trading::Kline& k, bool closed,
                        int64_t now_ms) {
  return fmt::format(
      R"({{"e":"kline","E":{},"s":"{}","k":{{"t":{},"T":{},"s":"{}","i":"{}","f":{},"L":{},"o":"{}","c":"{}","h":"{}",)"
      R"("l":"{}","v":"{}","n":{},"x":{},"q":"{}","V":"{}","Q":"{}","B":"0"}}}})",
      now_ms, m.symbol, k.open_time, k.close_time, m.symbol, iv.name, k.first_id, k.last_id, a(k.open), a(k.close),
      a(k.high), a(k.low), a(k.volume), k.count, yes(closed), a(k.quote_volume), a(k.taker_buy_volume),
      a(k.taker_buy_quote_volume));
}

std::string ticker_event(const Market& m, const trading::Ticker& t, int64_t now_ms) {
  return fmt::format(
      R"({{"e":"24hrTicker","E":{},"s":"{}","p":"{}","P":"{}","w":"{}","x":"{}","c":"{}","Q":"{}","b":"{}",)"
      R"("B":"{}","a":"{}","A":"{}","o":"{}","h":"{}","l":"{}","v":"{}","q":"{}","O":{},"C":{},"F":{},"L":{},"n":{}}})",
      now_ms, m.symbol, a(t.price_change()), format_decimal(t.change_permille_percent(), 3),
      a(t.weighted_avg_price()), a(t.prev_close_price), a(t.last_price), a(t.last_qty), a(t.top.bid_price),
      a(t.top.bid_qty), a(t.top.ask_price), a(t.top.ask_qty), a(t.open_price), a(t.high_price), a(t.low_price),
      a(t.volume), a(t.quote_volume), t.open_time, t.close_time, t.first_id, t.last_id, t.count);
}

std::string mini_ticker_event(const Market& m, const trading::Ticker& t, int64_t now_ms) {
  return fmt::format(R"({{"e":"24hrMiniTicker","E":{},"s":"{}","c":"{}","o":"{}","h":"{}","l":"{}","v":"{}","q":"{}"}})",
                     now_ms, m.symbol, a(t.last_price), a(t.open_price), a(t.high_price), a(t.low_price),
                     a(t.volume), a(t.quote_volume));
}

std::string execution_report(const Market& m, const trading::OrderUpdate& u, int64_t event_ms) {
  const trading::Order& o = u.order;
  const bool traded = u.exec == trading::ExecType::kTrade;
  const bool on_book = o.open() && o.type != matching::OrderType::kMarket;
  const std::string commission_asset = traded ? "\"" + u.commission_asset + "\"" : "null";
  const std::string original_id = u.exec == trading::ExecType::kCanceled ? o.client_order_id : "";
  return fmt::format(
      R"({{"e":"executionReport","E":{},"s":"{}","c":"{}","S":"{}","o":"{}","f":"{}","q":"{}","p":"{}",)"
      R"("P":"0.00000000","F":"0.00000000","g":-1,"C":"{}","x":"{}","X":"{}","r":"NONE","i":{},"l":"{}","z":"{}",)"
      R"("L":"{}","n":"{}","N":{},"T":{},"t":{},"I":0,"w":{},"m":{},"M":false,"O":{},"Z":"{}","Y":"{}","Q":"{}",)"
      R"("W":{},"V":"{}"}})",
      event_ms, m.symbol, o.client_order_id, matching::to_string(o.side), matching::to_string(o.type),
      matching::to_string(o.tif), a(o.orig_qty), a(o.price), original_id, trading::to_string(u.exec),
      matching::to_string(o.status), o.order_id, a(u.last_qty), a(o.executed_qty), a(u.last_price),
      a(u.commission), commission_asset, o.updated_ms, u.trade_id, yes(on_book), yes(u.maker), o.created_ms,
      a(o.cumm_quote_qty), a(u.last_quote), a(o.orig_quote_qty), o.created_ms, matching::to_string(o.stp));
}

std::string account_position(const std::vector<AssetBalance>& balances, int64_t update_ms, int64_t now_ms) {
  std::string out = fmt::format(R"({{"e":"outboundAccountPosition","E":{},"u":{},"B":[)", now_ms, update_ms);
  for (size_t i = 0; i < balances.size(); ++i) {
    if (i > 0) out += ',';
    fmt::format_to(std::back_inserter(out), R"({{"a":"{}","f":"{}","l":"{}"}})", balances[i].asset,
                   a(balances[i].free), a(balances[i].locked));
  }
  out += "]}";
  return out;
}

std::string balance_update(const std::string& asset, int64_t delta, int64_t clear_ms, int64_t now_ms) {
  return fmt::format(R"({{"e":"balanceUpdate","E":{},"a":"{}","d":"{}","T":{}}})", now_ms, asset, a(delta), clear_ms);
}

std::string listen_key_expired(const std::string& listen_key, int64_t now_ms) {
  return fmt::format(R"({{"e":"listenKeyExpired","E":{},"listenKey":"{}"}})", now_ms, listen_key);
}

}  // namespace kg::streams
