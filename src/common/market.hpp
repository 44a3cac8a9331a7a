#pragma once
// What an exchange offers: assets, markets with their filters, and the published rate limits.
// Amounts are integers at kAmountScale decimals, as Binance's 8.

#include <cstdint>
#include <string>
#include <vector>

namespace kg {

inline constexpr int kAmountScale = 8;

// A chain an asset moves on (Binance's networkList). keygate reaches no real chain: deposits are
// recorded by the operator and withdrawals complete on a simulated chain (wallet/).
struct Network {
  std::string name;       // "ETH", Binance's network code
  std::string full_name;  // "Ethereum (ERC20)"
  bool is_default = false;
  bool deposit_enable = true;
  bool withdraw_enable = true;
  int64_t withdraw_fee = 0;       // units of 10^-kAmountScale, like every amount here
  int64_t withdraw_min = 0;
  int64_t withdraw_max = 0;
  int64_t withdraw_multiple = 1;  // withdrawIntegerMultiple
  int64_t approval_above = 0;     // larger withdrawals wait for an operator; 0: none do
  int min_confirm = 1;            // confirmations before a deposit is credited
  int unlock_confirm = 0;
  std::string address_regex;  // what a withdrawal address must match
  std::string memo_regex;     // empty: the network has no tags (memos)
  // How deposit addresses are made: "evm" (0x + 40 hex), "bech32" (bc1q...), "base58" (T...),
  // or "tag" (one shared exchange address, a tag per user).
  std::string address_style = "evm";
  std::string shared_address;  // for "tag"
};

struct Asset {
  std::string name;       // "BTC"
  std::string full_name;  // "Bitcoin"
  std::vector<Network> networks;

  const Network* find_network(const std::string& network) const {
    for (const auto& n : networks) {
      if (n.name == network) return &n;
    }
    return nullptr;
  }
  const Network* default_network() const {
    for (const auto& n : networks) {
      if (n.is_default) return &n;
    }
    return networks.empty() ? nullptr : &networks.front();
  }
};

struct Market {
  std::string symbol;  // "BTCUSDT"
  std::string base;
  std::string quote;
  int base_precision = kAmountScale;
  int quote_precision = kAmountScale;
  // Filters, in units of 10^-kAmountScale.
  int64_t min_price = 0, max_price = 0, tick_size = 0;
  int64_t min_qty = 0, max_qty = 0, step_size = 0;
  int64_t market_min_qty = 0, market_max_qty = 0;
  int64_t min_notional = 0, max_notional = 0;
};

struct RateLimit {
  std::string type;      // REQUEST_WEIGHT, ORDERS, RAW_REQUESTS
  std::string interval;  // SECOND, MINUTE, DAY
  int interval_num = 1;
  int64_t limit = 0;
};

struct ExchangeSpec {
  std::vector<Asset> assets;
  std::vector<Market> markets;
  std::vector<RateLimit> rate_limits;

  const Asset* find_asset(const std::string& name) const {
    for (const auto& a : assets) {
      if (a.name == name) return &a;
    }
    return nullptr;
  }
  const Market* find_market(const std::string& symbol) const {
    for (const auto& m : markets) {
      if (m.symbol == symbol) return &m;
    }
    return nullptr;
  }
};

}  // namespace kg
