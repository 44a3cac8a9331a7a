#include "server/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <regex>
#include <stdexcept>
#include <vector>

#include "auth/rate_limiter.hpp"
#include "common/decimal.hpp"

namespace kg::server {

namespace {

int64_t to_int(const std::string& name, const std::string& v, int64_t min, int64_t max) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < min || n > max) {
    throw std::runtime_error("setting " + name + ": expected an integer in [" + std::to_string(min) + ", " +
                             std::to_string(max) + "], got '" + v + "'");
  }
  return n;
}

struct Setting {
  std::string name;  // "section.key" or "key"
  std::function<void(Config&, const std::string& name, const std::string& value)> apply;
};

Setting text(std::string name, std::string Config::*field) {
  return {std::move(name), [field](Config& c, const std::string&, const std::string& v) { c.*field = v; }};
}

template <typename Int>
Setting number(std::string name, std::function<Int&(Config&)> field, int64_t min, int64_t max) {
  return {std::move(name), [field, min, max](Config& c, const std::string& n, const std::string& v) {
            field(c) = static_cast<Int>(to_int(n, v, min, max));
          }};
}

Setting flag(std::string name, std::function<bool&(Config&)> field) {
  return {std::move(name), [field](Config& c, const std::string& n, const std::string& v) {
            if (v != "true" && v != "false") throw std::runtime_error("setting " + n + ": expected true or false, got '" + v + "'");
            field(c) = v == "true";
          }};
}

Setting millis(std::string name, std::function<std::chrono::milliseconds&(Config&)> field) {
  return {std::move(name), [field](Config& c, const std::string& n, const std::string& v) {
            field(c) = std::chrono::milliseconds(to_int(n, v, 1, 86'400'000));
          }};
}

// Every scalar setting, read the same way from TOML and from the environment.
const std::vector<Setting>& settings() {
  constexpr int64_t kDay = 86'400;
  static const std::vector<Setting> kAll = {
      text("listen", &Config::listen),
      text("data_dir", &Config::data_dir),
      text("db", &Config::db),
      text("log.level", &Config::log_level),
      number<size_t>("http.max_header_bytes", [](Config& c) -> size_t& { return c.http.max_header_bytes; }, 1024, 1 << 20),
      number<size_t>("http.max_body_bytes", [](Config& c) -> size_t& { return c.http.max_body_bytes; }, 1024, 64 << 20),
      millis("http.header_timeout_ms", [](Config& c) -> std::chrono::milliseconds& { return c.http.header_timeout; }),
      millis("http.idle_timeout_ms", [](Config& c) -> std::chrono::milliseconds& { return c.http.idle_timeout; }),
      millis("http.body_timeout_ms", [](Config& c) -> std::chrono::milliseconds& { return c.http.body_timeout; }),
      number<int>("http.max_requests_per_connection", [](Config& c) -> int& { return c.http.max_requests_per_connection; }, 1, 100'000'000),
      number<size_t>("http.max_connections_per_ip",
                     [](Config& c) -> size_t& { return c.http.max_connections_per_ip; }, 0, 1'000'000),
      number<int>("http.max_pipelined", [](Config& c) -> int& { return c.http.max_pipelined; }, 0, 1024),
      millis("http.ws_idle_timeout_ms", [](Config& c) -> std::chrono::milliseconds& { return c.http.ws_idle_timeout; }),
      Setting{"http.ws_max_lifetime_seconds",
              [](Config& c, const std::string& n, const std::string& v) {
                c.http.ws_max_lifetime = std::chrono::seconds(to_int(n, v, 1, kDay));
              }},
      number<size_t>("http.ws_max_queue_bytes", [](Config& c) -> size_t& { return c.http.ws_max_queue_bytes; }, 4096, 1 << 30),
      number<int>("http.ws_send_buffer_bytes", [](Config& c) -> int& { return c.http.ws_send_buffer_bytes; }, 4096, 64 << 20),
      number<int>("http.io_threads", [](Config& c) -> int& { return c.io_threads; }, 1, 256),
      number<int>("http.worker_threads", [](Config& c) -> int& { return c.worker_threads; }, 1, 256),
      number<int64_t>("accounts.session_ttl_seconds", [](Config& c) -> int64_t& { return c.accounts.session_ttl_s; }, 60, 30 * kDay),
      number<int>("accounts.login_max_failures", [](Config& c) -> int& { return c.accounts.login_max_failures; }, 1, 1000),
      number<int64_t>("accounts.login_window_seconds", [](Config& c) -> int64_t& { return c.accounts.login_window_s; }, 1, kDay),
      number<int64_t>("accounts.login_lock_seconds", [](Config& c) -> int64_t& { return c.accounts.login_lock_s; }, 1, kDay),
      number<int>("keys.max_per_user", [](Config& c) -> int& { return c.keys.max_keys_per_user; }, 1, 1000),
      number<int>("keys.max_ip_entries", [](Config& c) -> int& { return c.keys.max_ip_entries; }, 1, 1000),
      number<int64_t>("keys.trade_without_allowlist_seconds",
                      [](Config& c) -> int64_t& { return c.keys.trade_without_allowlist_s; }, 0, 3650 * kDay),
      flag("keys.withdraw_requires_allowlist", [](Config& c) -> bool& { return c.keys.withdraw_requires_allowlist; }),
      text("http.trusted_proxies", &Config::trusted_proxies),
      number<int>("accounts.totp_max_failures", [](Config& c) -> int& { return c.accounts.totp_max_failures; }, 1, 1000),
      number<int64_t>("accounts.totp_window_seconds", [](Config& c) -> int64_t& { return c.accounts.totp_window_s; }, 1, kDay),
      number<int64_t>("accounts.totp_lock_seconds", [](Config& c) -> int64_t& { return c.accounts.totp_lock_s; }, 1, kDay),
      number<int64_t>("wallet.address_cooloff_seconds", [](Config& c) -> int64_t& { return c.wallet.address_cooloff_s; }, 0, 30 * kDay),
      number<int64_t>("wallet.block_ms", [](Config& c) -> int64_t& { return c.wallet.block_ms; }, 1, 3'600'000),
      number<int64_t>("wallet.withdraw_delay_ms", [](Config& c) -> int64_t& { return c.wallet.withdraw_delay_ms; }, 0, kDay * 1000),
      number<int>("wallet.confirmations", [](Config& c) -> int& { return c.wallet.confirmations; }, -1, 10'000),
      number<int64_t>("wallet.chain_tick_ms", [](Config& c) -> int64_t& { return c.wallet.chain_tick_ms; }, 10, 60'000),
      number<int>("wallet.max_book_addresses", [](Config& c) -> int& { return c.wallet.max_book_addresses; }, 1, 10'000),
      number<int64_t>("convert.spread_bps", [](Config& c) -> int64_t& { return c.convert.spread_bps; }, 0, 5000),
      number<int64_t>("convert.max_quote_valid_ms", [](Config& c) -> int64_t& { return c.convert.max_quote_valid_ms; },
                      1000, 600'000),
      number<int>("convert.max_open_quotes", [](Config& c) -> int& { return c.convert.max_open_quotes; }, 1, 10'000),
  };
  return kAll;
}

std::optional<std::string> toml_scalar(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (node.is_integer()) return std::to_string(*node.value<int64_t>());
  if (auto b = node.value<bool>()) return *b ? "true" : "false";
  return std::nullopt;
}

std::string toml_string(const toml::table& t, const std::string& key, const std::string& where) {
  auto v = t[key].value<std::string>();
  if (!v) throw std::runtime_error(where + ": missing string '" + key + "'");
  return *v;
}

int64_t toml_amount(const toml::table& t, const std::string& key, const std::string& where) {
  auto text = toml_string(t, key, where);
  auto units = parse_decimal(text, kAmountScale);
  if (!units) throw std::runtime_error(where + ": '" + key + "' is not a decimal with at most 8 places: " + text);
  return *units;
}

Network read_network(const toml::table& t, const std::string& asset) {
  Network n;
  n.name = toml_string(t, "name", "[[assets.networks]] of " + asset);
  const std::string where = "network " + n.name + " of " + asset;
  n.full_name = t["full_name"].value_or(n.name);
  n.is_default = t["default"].value_or(false);
  n.deposit_enable = t["deposit_enable"].value_or(true);
  n.withdraw_enable = t["withdraw_enable"].value_or(true);
  auto amount = [&](const char* key, int64_t fallback) { return t.contains(key) ? toml_amount(t, key, where) : fallback; };
  n.withdraw_fee = amount("withdraw_fee", 0);
  n.withdraw_min = amount("withdraw_min", 1);
  n.withdraw_max = amount("withdraw_max", 9'000'000'000'000'000'000);
  n.withdraw_multiple = amount("withdraw_multiple", 1);
  n.approval_above = amount("approval_above", 0);
  n.min_confirm = static_cast<int>(t["min_confirm"].value_or(int64_t{1}));
  n.unlock_confirm = static_cast<int>(t["unlock_confirm"].value_or(int64_t{0}));
  n.address_style = t["address_style"].value_or(std::string("evm"));
  n.shared_address = t["shared_address"].value_or(std::string());
  n.address_regex = t["address_regex"].value_or(std::string());
  n.memo_regex = t["memo_regex"].value_or(std::string());
  static const std::vector<std::string> kStyles = {"evm", "bech32", "base58", "tag"};
  if (std::find(kStyles.begin(), kStyles.end(), n.address_style) == kStyles.end()) {
    throw std::runtime_error(where + ": address_style must be evm, bech32, base58 or tag");
  }
  if (n.address_style == "tag" && (n.shared_address.empty() || n.memo_regex.empty())) {
    throw std::runtime_error(where + ": address_style tag needs shared_address and memo_regex");
  }
  if (n.withdraw_multiple <= 0 || n.withdraw_min <= 0 || n.withdraw_min > n.withdraw_max || n.withdraw_fee < 0 ||
      n.min_confirm < 0 || n.approval_above < 0) {
    throw std::runtime_error(where + ": withdraw_multiple and withdraw_min must be positive, withdraw_min <= withdraw_max, "
                             "withdraw_fee, approval_above and min_confirm not negative");
  }
  try {
    std::regex check(n.address_regex.empty() ? ".*" : n.address_regex);
    std::regex check_memo(n.memo_regex.empty() ? ".*" : n.memo_regex);
  } catch (const std::regex_error&) {
    throw std::runtime_error(where + ": address_regex or memo_regex is not a valid regular expression");
  }
  return n;
}

void read_exchange(const toml::table& root, ExchangeSpec& ex) {
  if (const auto* assets = root["assets"].as_array()) {
    ex.assets.clear();
    for (const auto& node : *assets) {
      const auto* t = node.as_table();
      if (!t) throw std::runtime_error("[[assets]] entries must be tables");
      Asset a{toml_string(*t, "name", "[[assets]]"), t->at_path("full_name").value_or(std::string()), {}};
      if (const auto* networks = (*t)["networks"].as_array()) {
        for (const auto& n : *networks) {
          const auto* nt = n.as_table();
          if (!nt) throw std::runtime_error("[[assets.networks]] entries must be tables");
          a.networks.push_back(read_network(*nt, a.name));
        }
      }
      ex.assets.push_back(std::move(a));
    }
  }
  if (const auto* markets = root["markets"].as_array()) {
    ex.markets.clear();
    for (const auto& node : *markets) {
      const auto* t = node.as_table();
      if (!t) throw std::runtime_error("[[markets]] entries must be tables");
      Market m;
      m.symbol = toml_string(*t, "symbol", "[[markets]]");
      const std::string where = "market " + m.symbol;
      m.base = toml_string(*t, "base", where);
      m.quote = toml_string(*t, "quote", where);
      m.tick_size = toml_amount(*t, "tick_size", where);
      m.min_price = toml_amount(*t, "min_price", where);
      m.max_price = toml_amount(*t, "max_price", where);
      m.step_size = toml_amount(*t, "step_size", where);
      m.min_qty = toml_amount(*t, "min_qty", where);
      m.max_qty = toml_amount(*t, "max_qty", where);
      m.market_min_qty = t->contains("market_min_qty") ? toml_amount(*t, "market_min_qty", where) : m.min_qty;
      m.market_max_qty = t->contains("market_max_qty") ? toml_amount(*t, "market_max_qty", where) : m.max_qty;
      m.min_notional = toml_amount(*t, "min_notional", where);
      m.max_notional = toml_amount(*t, "max_notional", where);
      if (m.tick_size <= 0 || m.step_size <= 0 || m.min_price > m.max_price || m.min_qty > m.max_qty) {
        throw std::runtime_error(where + ": tick_size and step_size must be positive and minimums below maximums");
      }
      ex.markets.push_back(std::move(m));
    }
  }
  if (const auto* limits = root["rate_limits"].as_array()) {
    ex.rate_limits.clear();
    for (const auto& node : *limits) {
      const auto* t = node.as_table();
      if (!t) throw std::runtime_error("[[rate_limits]] entries must be tables");
      RateLimit rl;
      rl.type = toml_string(*t, "type", "[[rate_limits]]");
      rl.interval = toml_string(*t, "interval", "[[rate_limits]]");
      rl.interval_num = static_cast<int>(t->at_path("interval_num").value_or(int64_t{1}));
      rl.limit = t->at_path("limit").value_or(int64_t{0});
      ex.rate_limits.push_back(std::move(rl));
    }
  }
}

// [convert.reference_prices] SYMBOL = "price" and [convert.max_amounts] ASSET = "amount", decimals
// with at most 8 places. Symbols and assets are checked against the exchange when the server starts.
void read_convert(const toml::table& root, wallet::ConvertConfig& convert) {
  auto read_map = [&](const char* key, std::map<std::string, int64_t>& out) {
    const toml::node* node = root.at_path(std::string("convert.") + key).node();
    if (!node) return;
    const auto* t = node->as_table();
    if (!t) throw std::runtime_error(std::string("[convert.") + key + "] must be a table");
    out.clear();
    for (const auto& [name, value] : *t) {
      const std::string where = std::string("convert.") + key + "." + std::string(name.str());
      auto text = value.value<std::string>();
      auto units = text ? parse_decimal(*text, kAmountScale) : std::nullopt;
      if (!units || *units <= 0) throw std::runtime_error(where + ": expected a positive decimal string with at most 8 places");
      out[std::string(name.str())] = *units;
    }
  };
  read_map("reference_prices", convert.reference_prices);
  read_map("max_amounts", convert.max_amounts);
}

void apply(Config& c, const std::string& name, const std::string& value) {
  for (const auto& s : settings()) {
    if (s.name == name) {
      s.apply(c, name, value);
      return;
    }
  }
  throw std::runtime_error("unknown setting " + name);
}

// Checks that need the whole value, with the setting named in the message.
void validate(const Config& c) {
  static const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (std::find(kLevels.begin(), kLevels.end(), c.log_level) == kLevels.end()) {
    throw std::runtime_error("setting log.level: expected trace, debug, info, warn, error, critical or off, got '" +
                             c.log_level + "'");
  }
  split_listen(c.listen);
  auth::RateLimiter::check(c.exchange.rate_limits);  // what exchangeInfo publishes is what is enforced
}

}  // namespace

std::pair<std::string, uint16_t> split_listen(const std::string& listen) {
  const std::string bad = "setting listen: expected HOST:PORT with a port from 0 to 65535, got '" + listen + "'";
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) throw std::runtime_error(bad);
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = listen.substr(colon + 1);
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    throw std::runtime_error(bad);
  }
  return {host, static_cast<uint16_t>(port)};
}

void fill_default_networks(ExchangeSpec& exchange) {
  for (auto& a : exchange.assets) {
    if (a.networks.empty()) {
      Network n;
      n.name = a.name;
      n.full_name = a.full_name.empty() ? a.name : a.full_name;
      n.withdraw_min = 1;
      n.withdraw_max = 9'000'000'000'000'000'000;
      a.networks.push_back(std::move(n));
    }
    if (std::none_of(a.networks.begin(), a.networks.end(), [](const Network& n) { return n.is_default; })) {
      a.networks.front().is_default = true;
    }
  }
}

std::string env_name(const std::string& setting) {
  std::string out = "KEYGATE_";
  for (char ch : setting) out += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

Config load_config(const std::optional<std::string>& file, const std::map<std::string, std::string>& flags) {
  Config c;
  c.exchange.rate_limits = {{"REQUEST_WEIGHT", "MINUTE", 1, 6000},
                            {"ORDERS", "SECOND", 10, 50},
                            {"ORDERS", "DAY", 1, 160000},
                            {"RAW_REQUESTS", "MINUTE", 5, 61000}};
  if (file) {
    toml::table root;
    try {
      root = toml::parse_file(*file);
    } catch (const toml::parse_error& e) {
      throw std::runtime_error("config " + *file + ": " + std::string(e.description()));
    }
    for (const auto& s : settings()) {
      if (const toml::node* node = root.at_path(s.name).node()) {
        auto v = toml_scalar(*node);
        if (!v) throw std::runtime_error("config " + *file + ": " + s.name + " has the wrong type");
        s.apply(c, s.name, *v);
      }
    }
    read_exchange(root, c.exchange);
    read_convert(root, c.convert);
  }
  for (const auto& s : settings()) {
    if (const char* v = std::getenv(env_name(s.name).c_str())) s.apply(c, s.name, v);
  }
  for (const auto& [name, value] : flags) apply(c, name, value);
  validate(c);
  return c;
}

}  // namespace kg::server
