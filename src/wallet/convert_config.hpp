#pragma once
// Convert's settings ([convert] in the TOML file; the scalars also as KEYGATE_CONVERT_*).

#include <cstdint>
#include <map>
#include <string>

namespace kg::wallet {

struct ConvertConfig {
  // Market symbol ("XRPUSDT") -> the price of one base unit in the quote asset, in units of
  // 10^-kAmountScale ("0.5" is 50'000'000). A market without a price cannot be converted.
  std::map<std::string, int64_t> reference_prices;
  // What the desk earns, charged against the user, in basis points of the price (10 = 0.1 %).
  int64_t spread_bps = 10;
  // A quote lives as long as the client asks (validTime 10s, 30s, 1m, 2m), at most this long.
  int64_t max_quote_valid_ms = 120'000;
  // Open (unaccepted, unexpired) quotes one user may hold: quotes live in memory.
  int max_open_quotes = 100;
  // Asset -> the most one convert may pay or receive of it; an asset not listed: no limit.
  std::map<std::string, int64_t> max_amounts;
};

}  // namespace kg::wallet
