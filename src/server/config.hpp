#pragma once

#include <map>
#include <cstdint>
#include <optional>
#include <utility>
#include <string>

#include "accounts/accounts.hpp"
#include "common/market.hpp"
#include "keys/key_service.hpp"
#include "net/server.hpp"
#include "wallet/config.hpp"
#include "wallet/convert_config.hpp"

namespace kg::server {

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./data";
  std::string db;  // empty: SQLite at <data_dir>/keygate.db
  std::string log_level = "info";
  bool demo = false;
  net::HttpLimits http;
  int io_threads = 2;
  int worker_threads = 4;
  accounts::AccountsConfig accounts;
  keys::KeyPolicy keys;
  std::string trusted_proxies;  // comma-separated addresses and CIDR ranges
  ExchangeSpec exchange;
  wallet::WalletConfig wallet;
  wallet::ConvertConfig convert;
};

// Layers, later ones winning: defaults, the TOML file (if any), KEYGATE_* environment
// variables, then `flags` (setting name -> value, e.g. {"listen", "127.0.0.1:0"}).
// Throws std::runtime_error naming the bad setting.
Config load_config(const std::optional<std::string>& file, const std::map<std::string, std::string>& flags);

// Gives every asset without [[assets.networks]] one network named after it, and marks a default.
void fill_default_networks(ExchangeSpec& exchange);

// "127.0.0.1:8080" or "[::1]:0" -> host and port; throws naming the setting.
std::pair<std::string, uint16_t> split_listen(const std::string& listen);

// The environment variable for a setting: "http.header_timeout_ms" -> KEYGATE_HTTP_HEADER_TIMEOUT_MS.
std::string env_name(const std::string& setting);

}  // namespace kg::server
