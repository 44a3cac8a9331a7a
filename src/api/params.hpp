#pragma once
// Reading Binance request parameters in handlers: text, bounded integers, client ids, and amounts
// as Binance writes them (decimal strings at 8 places).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/router.hpp"
#include "common/decimal.hpp"
#include "common/market.hpp"
#include "common/result.hpp"

namespace kg::api {

inline std::string amount_text(int64_t units) { return format_decimal(units, kAmountScale); }

// A parameter's raw (still percent-encoded) value in a query string, without parsing it: for
// decisions made before the request is, such as a route's weight. Names are matched decoded, as
// parse_params reads them: "li%6Dit=5000" is the limit a handler sees, so it must weigh as one.
inline std::optional<std::string_view> raw_query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (const size_t eq = pair.find('='); eq != std::string_view::npos) {
      const std::string_view key = pair.substr(0, eq);
      if (key == name) return pair.substr(eq + 1);
      if (key.find_first_of("%+") != std::string_view::npos) {
        auto decoded = percent_decode(key, name);
        if (decoded && *decoded == name) return pair.substr(eq + 1);
      }
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// The markets asked for by ?symbol=X or ?symbols=["X","Y"] (-1128 for both, -1100 for a name
// that cannot be a symbol, -1121 for one that is not a market), or all of them.
Result<std::vector<const Market*>> selected_markets(const ExchangeSpec& exchange, const Params& params);

// The parameter's text, "" when absent.
inline std::string param(const Context& ctx, std::string_view name) {
  return std::string(ctx.params->get(name).value_or(""));
}

// An integer within [min, max]; absent gives `fallback` (nullopt: the parameter is required).
inline Result<int64_t> int_param(const Context& ctx, std::string_view name, std::optional<int64_t> fallback,
                                 int64_t min, int64_t max) {
  auto text = ctx.params->get(name);
  if (!text) {
    if (!fallback) return make_error(err::kBadParam, name);
    return *fallback;
  }
  auto v = parse_decimal(*text, 0);
  if (!v || *v < min || *v > max) return make_error(err::kBadParam, name);
  return *v;
}

// clientTranId, withdrawOrderId: 1 to 64 of [a-zA-Z0-9-_.:].
inline constexpr std::string_view kClientIdRange = "^[a-zA-Z0-9-_.:]{1,64}$";
inline bool valid_client_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace kg::api
