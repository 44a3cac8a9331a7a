#include "streams/names.hpp"

#include <algorithm>
#include <cctype>

namespace kg::streams {

std::string lower(std::string_view symbol) {
  std::string out(symbol);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<StreamName> parse_stream(std::string_view name, const ExchangeSpec& exchange) {
  const size_t at = name.find('@');
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  const std::string_view symbol = name.substr(0, at);
  if (std::any_of(symbol.begin(), symbol.end(), [](unsigned char c) { return std::isupper(c); })) return std::nullopt;
  StreamName out;
  for (const auto& m : exchange.markets) {
    if (lower(m.symbol) == symbol) out.market = &m;
  }
  if (!out.market) return std::nullopt;
  const std::string_view rest = name.substr(at + 1);
  if (rest == "trade") {
    out.kind = Kind::kTrade;
  } else if (rest == "aggTrade") {
    out.kind = Kind::kAggTrade;
  } else if (rest == "depth" || rest == "depth@1000ms" || rest == "depth@100ms") {
    out.kind = Kind::kDepth;
    out.depth_ms = rest == "depth@100ms" ? 100 : 1000;
  } else if (rest == "bookTicker") {
    out.kind = Kind::kBookTicker;
  } else if (rest == "ticker") {
    out.kind = Kind::kTicker;
  } else if (rest == "miniTicker") {
    out.kind = Kind::kMiniTicker;
  } else if (rest.starts_with("kline_")) {
    auto interval = trading::parse_interval(rest.substr(6));
    if (!interval) return std::nullopt;
    out.kind = Kind::kKline;
    out.interval = *interval;
  } else {
    return std::nullopt;
  }
  return out;
}

}  // namespace kg::streams
