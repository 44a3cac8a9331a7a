// Configuration layers (defaults, TOML, KEYGATE_* environment, flags) and the example file.

#include "server/config.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/market.hpp"
#include "server/demo.hpp"
#include "support/backends.hpp"

namespace kg::server {
namespace {

using std::chrono::milliseconds;
using Flags = std::map<std::string, std::string>;

// Every setting, as docs/configuration.md lists them.
const std::vector<std::string> kSettings = {
    "listen",
    "data_dir",
    "db",
    "log.level",
    "http.max_header_bytes",
    "http.max_body_bytes",
    "http.header_timeout_ms",
    "http.idle_timeout_ms",
    "http.body_timeout_ms",
    "http.max_requests_per_connection",
    "http.max_pipelined",
    "http.io_threads",
    "http.worker_threads",
    "accounts.session_ttl_seconds",
    "accounts.login_max_failures",
    "accounts.login_window_seconds",
    "accounts.login_lock_seconds",
    "accounts.totp_max_failures",
    "accounts.totp_window_seconds",
    "accounts.totp_lock_seconds",
    "convert.spread_bps",
    "convert.max_quote_valid_ms",
    "convert.max_open_quotes",
};

// Clears every KEYGATE_* setting variable for the test and restores them afterwards, so that
// the environment the tests run in cannot change their outcome.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& s : kSettings) {
      const std::string var = env_name(s);
      if (const char* v = std::getenv(var.c_str())) saved_.emplace_back(var, v);
      ::unsetenv(var.c_str());
    }
  }
  void TearDown() override {
    for (const auto& s : kSettings) ::unsetenv(env_name(s).c_str());
    for (const auto& [var, value] : saved_) ::setenv(var.c_str(), value.c_str(), 1);
  }

  std::string write_file(const std::string& text) {
    const auto path = dir_.path() / ("keygate-" + std::to_string(++files_) + ".toml");
    std::ofstream(path) << text;
    return path.string();
  }

  // load_config must throw a std::runtime_error whose message contains each of `names`.
  static void expect_refused(const std::optional<std::string>& file, const Flags& flags,
                             std::initializer_list<std::string_view> names) {
    const std::string what = (file ? "file " + *file : std::string("no file")) + describe(flags);
    try {
      load_config(file, flags);
      ADD_FAILURE() << "accepted: " << what;
    } catch (const std::runtime_error& e) {
      const std::string_view msg = e.what();
      for (std::string_view name : names) {
        EXPECT_NE(msg.find(name), std::string_view::npos)
            << "message does not name " << name << " (" << what << "): " << msg;
      }
    }
  }
  static void expect_flag_refused(const std::string& setting, const std::string& value) {
    expect_refused(std::nullopt, {{setting, value}}, {setting});
  }
  static std::string describe(const Flags& flags) {
    std::string out;
    for (const auto& [k, v] : flags) out += ", flag " + k + "='" + v + "'";
    return out;
  }

  test::TempDir dir_;
  int files_ = 0;
  std::vector<std::pair<std::string, std::string>> saved_;
};

constexpr const char* kMarketToml = R"(
listen = "0.0.0.0:9000"

[http]
header_timeout_ms = 2500

[[markets]]
symbol = "BTCUSDT"
base = "BTC"
quote = "USDT"
tick_size = "0.01"
min_price = "0.01"
max_price = "1000000"
step_size = "0.00001"
min_qty = "0.00001"
max_qty = "9000"
min_notional = "5"
max_notional = "9000000.00000000"

[[markets]]
symbol = "XRPBTC"
base = "XRP"
quote = "BTC"
tick_size = "0.00000001"
min_price = "0.00000001"
max_price = "1"
step_size = "1"
min_qty = "1"
max_qty = "90000000"
market_min_qty = "0"
market_max_qty = "100000"
min_notional = "0.0001"
max_notional = "9000"
)";

TEST(EnvName, UppercasesAndReplacesDots) {
  EXPECT_EQ(env_name("http.header_timeout_ms"), "KEYGATE_HTTP_HEADER_TIMEOUT_MS");
  EXPECT_EQ(env_name("listen"), "KEYGATE_LISTEN");
  EXPECT_EQ(env_name("data_dir"), "KEYGATE_DATA_DIR");
  EXPECT_EQ(env_name("log.level"), "KEYGATE_LOG_LEVEL");
  EXPECT_EQ(env_name("accounts.totp_lock_seconds"), "KEYGATE_ACCOUNTS_TOTP_LOCK_SECONDS");
}

TEST_F(ConfigTest, DefaultsWithoutAFile) {
  const Config c = load_config(std::nullopt, {});
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_EQ(c.db, "");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.http.max_header_bytes, 8192u);
  EXPECT_EQ(c.http.max_body_bytes, 1048576u);
  EXPECT_EQ(c.http.header_timeout, milliseconds(10'000));
  EXPECT_EQ(c.http.idle_timeout, milliseconds(60'000));
  EXPECT_EQ(c.http.body_timeout, milliseconds(30'000));
  EXPECT_EQ(c.http.max_requests_per_connection, 100'000);
  EXPECT_EQ(c.http.max_pipelined, 16);
  EXPECT_EQ(c.io_threads, 2);
  EXPECT_EQ(c.worker_threads, 4);
  EXPECT_EQ(c.accounts.session_ttl_s, 86'400);
  EXPECT_EQ(c.accounts.login_max_failures, 5);
  EXPECT_EQ(c.accounts.login_window_s, 900);
  EXPECT_EQ(c.accounts.login_lock_s, 900);
  EXPECT_EQ(c.accounts.totp_max_failures, 10);
  EXPECT_EQ(c.accounts.totp_window_s, 900);
  EXPECT_EQ(c.accounts.totp_lock_s, 900);
  EXPECT_TRUE(c.exchange.markets.empty());
  EXPECT_TRUE(c.exchange.assets.empty());

  ASSERT_EQ(c.exchange.rate_limits.size(), 4u);
  const RateLimit expected[] = {{"REQUEST_WEIGHT", "MINUTE", 1, 6000},
                                {"ORDERS", "SECOND", 10, 50},
                                {"ORDERS", "DAY", 1, 160000},
                                {"RAW_REQUESTS", "MINUTE", 5, 61000}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(c.exchange.rate_limits[i].type, expected[i].type) << i;
    EXPECT_EQ(c.exchange.rate_limits[i].interval, expected[i].interval) << i;
    EXPECT_EQ(c.exchange.rate_limits[i].interval_num, expected[i].interval_num) << i;
    EXPECT_EQ(c.exchange.rate_limits[i].limit, expected[i].limit) << i;
  }
}

TEST_F(ConfigTest, ReadsTheTomlFile) {
  const Config c = load_config(write_file(kMarketToml), {});
  EXPECT_EQ(c.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.http.header_timeout, milliseconds(2'500));
  EXPECT_EQ(c.http.idle_timeout, milliseconds(60'000));  // untouched settings keep their default
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_EQ(c.exchange.rate_limits.size(), 4u);

  ASSERT_EQ(c.exchange.markets.size(), 2u);
  const Market& btc = c.exchange.markets[0];
  EXPECT_EQ(btc.symbol, "BTCUSDT");
  EXPECT_EQ(btc.base, "BTC");
  EXPECT_EQ(btc.quote, "USDT");
  EXPECT_EQ(btc.tick_size, 1'000'000);
  EXPECT_EQ(btc.min_price, 1'000'000);
  EXPECT_EQ(btc.max_price, 100'000'000'000'000);
  EXPECT_EQ(btc.step_size, 1'000);
  EXPECT_EQ(btc.min_qty, 1'000);
  EXPECT_EQ(btc.max_qty, 900'000'000'000);
  EXPECT_EQ(btc.market_min_qty, btc.min_qty);  // absent: the limit-order bounds
  EXPECT_EQ(btc.market_max_qty, btc.max_qty);
  EXPECT_EQ(btc.min_notional, 500'000'000);
  EXPECT_EQ(btc.max_notional, 900'000'000'000'000);

  const Market& xrp = c.exchange.markets[1];
  EXPECT_EQ(xrp.symbol, "XRPBTC");
  EXPECT_EQ(xrp.quote, "BTC");
  EXPECT_EQ(xrp.tick_size, 1);
  EXPECT_EQ(xrp.max_price, 100'000'000);
  EXPECT_EQ(xrp.step_size, 100'000'000);
  EXPECT_EQ(xrp.market_min_qty, 0);
  EXPECT_EQ(xrp.market_max_qty, 10'000'000'000'000);
  EXPECT_EQ(xrp.min_notional, 10'000);
  EXPECT_EQ(c.exchange.find_market("XRPBTC"), &xrp);
  EXPECT_EQ(c.exchange.find_market("ETHUSDT"), nullptr);
}

TEST_F(ConfigTest, ReadsAssetsAndRateLimitsFromTheFile) {
  const Config c = load_config(write_file(R"(
[[assets]]
name = "BTC"
full_name = "Bitcoin"
[[assets]]
name = "DOGE"

[[rate_limits]]
type = "REQUEST_WEIGHT"
interval = "SECOND"
limit = 30
)"),
                               {});
  ASSERT_EQ(c.exchange.assets.size(), 2u);
  EXPECT_EQ(c.exchange.assets[0].name, "BTC");
  EXPECT_EQ(c.exchange.assets[0].full_name, "Bitcoin");
  EXPECT_EQ(c.exchange.assets[1].name, "DOGE");
  EXPECT_EQ(c.exchange.assets[1].full_name, "");
  ASSERT_EQ(c.exchange.rate_limits.size(), 1u);  // the file replaces the defaults
  EXPECT_EQ(c.exchange.rate_limits[0].interval, "SECOND");
  EXPECT_EQ(c.exchange.rate_limits[0].interval_num, 1);
  EXPECT_EQ(c.exchange.rate_limits[0].limit, 30);
}

TEST_F(ConfigTest, ReadsTheConvertTable) {
  const Config defaults = load_config(std::nullopt, {});
  EXPECT_EQ(defaults.convert.spread_bps, 10);
  EXPECT_EQ(defaults.convert.max_quote_valid_ms, 120'000);
  EXPECT_EQ(defaults.convert.max_open_quotes, 100);
  EXPECT_TRUE(defaults.convert.reference_prices.empty());
  EXPECT_TRUE(defaults.convert.max_amounts.empty());

  const Config c = load_config(write_file(R"(
[convert]
spread_bps = 25
max_quote_valid_ms = 30000
max_open_quotes = 7
[convert.reference_prices]
XRPUSDT = "0.52"
BTCUSDT = "61000.5"
[convert.max_amounts]
XRP = "1000"
)"),
                               {});
  EXPECT_EQ(c.convert.spread_bps, 25);
  EXPECT_EQ(c.convert.max_quote_valid_ms, 30'000);
  EXPECT_EQ(c.convert.max_open_quotes, 7);
  EXPECT_EQ(c.convert.reference_prices, (std::map<std::string, int64_t>{{"BTCUSDT", 6'100'050'000'000},
                                                                         {"XRPUSDT", 52'000'000}}));
  EXPECT_EQ(c.convert.max_amounts, (std::map<std::string, int64_t>{{"XRP", 100'000'000'000}}));
  ::setenv("KEYGATE_CONVERT_SPREAD_BPS", "0", 1);
  EXPECT_EQ(load_config(std::nullopt, {}).convert.spread_bps, 0);
}

TEST_F(ConfigTest, BadConvertValuesNameTheSetting) {
  expect_refused(write_file("[convert]\nspread_bps = 5001\n"), {}, {"convert.spread_bps"});
  expect_refused(write_file("[convert]\nmax_quote_valid_ms = 999\n"), {}, {"convert.max_quote_valid_ms"});
  expect_refused(write_file("[convert]\nreference_prices = 5\n"), {}, {"convert.reference_prices"});
  expect_refused(write_file("[convert.reference_prices]\nXRPUSDT = 0.5\n"), {}, {"convert.reference_prices.XRPUSDT"});
  expect_refused(write_file("[convert.reference_prices]\nXRPUSDT = \"0\"\n"), {}, {"convert.reference_prices.XRPUSDT"});
  expect_refused(write_file("[convert.max_amounts]\nXRP = \"1.000000001\"\n"), {}, {"convert.max_amounts.XRP"});
  expect_flag_refused("convert.max_open_quotes", "0");
}

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
  const std::string file = write_file(kMarketToml);
  ::setenv("KEYGATE_HTTP_HEADER_TIMEOUT_MS", "7000", 1);
  ::setenv("KEYGATE_LISTEN", "127.0.0.1:7000", 1);
  ::setenv("KEYGATE_ACCOUNTS_LOGIN_MAX_FAILURES", "3", 1);
  const Config c = load_config(file, {});
  EXPECT_EQ(c.http.header_timeout, milliseconds(7'000));
  EXPECT_EQ(c.listen, "127.0.0.1:7000");
  EXPECT_EQ(c.accounts.login_max_failures, 3);
  EXPECT_EQ(c.exchange.markets.size(), 2u);
  // Also without a file.
  EXPECT_EQ(load_config(std::nullopt, {}).http.header_timeout, milliseconds(7'000));
}

TEST_F(ConfigTest, FlagsOverrideTheEnvironment) {
  const std::string file = write_file(kMarketToml);
  ::setenv("KEYGATE_HTTP_HEADER_TIMEOUT_MS", "7000", 1);
  ::setenv("KEYGATE_LISTEN", "127.0.0.1:7000", 1);
  const Config c = load_config(file, {{"http.header_timeout_ms", "9000"},
                                      {"listen", "127.0.0.1:0"},
                                      {"data_dir", "/tmp/kg"},
                                      {"db", "sqlite:/tmp/kg/x.db"}});
  EXPECT_EQ(c.http.header_timeout, milliseconds(9'000));
  EXPECT_EQ(c.listen, "127.0.0.1:0");
  EXPECT_EQ(c.data_dir, "/tmp/kg");
  EXPECT_EQ(c.db, "sqlite:/tmp/kg/x.db");
}

TEST_F(ConfigTest, BadEnvironmentValuesNameTheSetting) {
  for (const char* bad :
       {"abc", "0", "-5", "10s", "", " 100", "86400001", "99999999999999999999"}) {
    SCOPED_TRACE(std::string("KEYGATE_HTTP_HEADER_TIMEOUT_MS='") + bad + "'");
    ::setenv("KEYGATE_HTTP_HEADER_TIMEOUT_MS", bad, 1);
    expect_refused(std::nullopt, {}, {"http.header_timeout_ms"});
  }
  ::setenv("KEYGATE_HTTP_HEADER_TIMEOUT_MS", "86400000", 1);
  EXPECT_EQ(load_config(std::nullopt, {}).http.header_timeout, milliseconds(86'400'000));
}

TEST_F(ConfigTest, BadFlagValuesNameTheSetting) {
  expect_flag_refused("http.io_threads", "0");
  expect_flag_refused("http.max_body_bytes", "1023");
  expect_flag_refused("accounts.session_ttl_seconds", "59");
  expect_flag_refused("no_such_setting", "1");
}

TEST_F(ConfigTest, BadFileValuesNameTheSetting) {
  expect_refused(write_file("[http]\nheader_timeout_ms = 0\n"), {}, {"http.header_timeout_ms"});
  expect_refused(write_file("[http]\nheader_timeout_ms = 2.5\n"), {}, {"http.header_timeout_ms"});
  expect_refused(write_file("[http]\nio_threads = [1, 2]\n"), {}, {"http.io_threads"});
  expect_refused(write_file("[accounts]\nlogin_max_failures = \"many\"\n"), {},
                 {"accounts.login_max_failures"});
}

TEST_F(ConfigTest, BadMarketsNameTheMarketAndTheField) {
  const std::string base = R"(
[[markets]]
symbol = "BTCUSDT"
base = "BTC"
quote = "USDT"
min_price = "0.01"
max_price = "1000000"
step_size = "0.00001"
min_qty = "0.00001"
max_qty = "9000"
min_notional = "5"
max_notional = "9000000"
)";
  // More than 8 decimals, not a string, missing, negative.
  expect_refused(write_file(base + "tick_size = \"0.000000001\"\n"), {}, {"BTCUSDT", "tick_size"});
  expect_refused(write_file(base + "tick_size = 0.01\n"), {}, {"BTCUSDT", "tick_size"});
  expect_refused(write_file(base), {}, {"BTCUSDT", "tick_size"});
  expect_refused(write_file(base + "tick_size = \"-0.01\"\n"), {}, {"BTCUSDT", "tick_size"});
  // Zero tick, or a minimum above the maximum.
  expect_refused(write_file(base + "tick_size = \"0\"\n"), {}, {"BTCUSDT"});
  std::string swapped = base + "tick_size = \"0.01\"\n";
  swapped.replace(swapped.find("min_qty = \"0.00001\""), 19, "min_qty = \"10000\"");
  expect_refused(write_file(swapped), {}, {"BTCUSDT"});
  // And the good one parses.
  EXPECT_EQ(
      load_config(write_file(base + "tick_size = \"0.01\"\n"), {}).exchange.markets.at(0).tick_size,
      1'000'000);
}

// docs/configuration.md: log.level is one of trace, debug, info, warn, error, and "a bad value
// stops the start with a message naming the setting".
TEST_F(ConfigTest, BadLogLevelNamesTheSetting) {
  for (const char* good : {"trace", "debug", "info", "warn", "error"}) {
    EXPECT_EQ(load_config(std::nullopt, {{"log.level", good}}).log_level, good);
  }
  for (const char* bad : {"verbose", "", "INFO!"}) expect_flag_refused("log.level", bad);
}

// listen is HOST:PORT; a value without a usable port is a bad value like any other.
TEST_F(ConfigTest, BadListenNamesTheSetting) {
  for (const char* good : {"127.0.0.1:0", "0.0.0.0:8080", "[::1]:65535"}) {
    EXPECT_EQ(load_config(std::nullopt, {{"listen", good}}).listen, good);
  }
  for (const char* bad : {"127.0.0.1", "127.0.0.1:http", "127.0.0.1:65536", "127.0.0.1:-1", ""}) {
    expect_flag_refused("listen", bad);
  }
}

TEST_F(ConfigTest, UnreadableOrMalformedFilesAreErrors) {
  const std::string missing = (dir_.path() / "missing.toml").string();
  expect_refused(missing, {}, {missing});
  const std::string broken = write_file("listen = \"127.0.0.1:8080\n[http\n");
  expect_refused(broken, {}, {broken});
}

void expect_same_markets(const std::vector<Market>& actual, const std::vector<Market>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const Market& a = actual[i];
    const Market& e = expected[i];
    SCOPED_TRACE(e.symbol);
    EXPECT_EQ(a.symbol, e.symbol);
    EXPECT_EQ(a.base, e.base);
    EXPECT_EQ(a.quote, e.quote);
    EXPECT_EQ(a.base_precision, e.base_precision);
    EXPECT_EQ(a.quote_precision, e.quote_precision);
    EXPECT_EQ(a.tick_size, e.tick_size);
    EXPECT_EQ(a.min_price, e.min_price);
    EXPECT_EQ(a.max_price, e.max_price);
    EXPECT_EQ(a.step_size, e.step_size);
    EXPECT_EQ(a.min_qty, e.min_qty);
    EXPECT_EQ(a.max_qty, e.max_qty);
    EXPECT_EQ(a.market_min_qty, e.market_min_qty);
    EXPECT_EQ(a.market_max_qty, e.market_max_qty);
    EXPECT_EQ(a.min_notional, e.min_notional);
    EXPECT_EQ(a.max_notional, e.max_notional);
  }
}

class ExampleConfigTest : public ConfigTest {
 protected:
  static std::string example_path() {
    return (std::filesystem::path(KEYGATE_SOURCE_DIR) / "config" / "keygate.example.toml").string();
  }
};

TEST_F(ExampleConfigTest, MarketsAndAssetsAreTheDemoOnes) {
  ASSERT_TRUE(std::filesystem::exists(example_path())) << example_path();
  const Config c = load_config(example_path(), {});
  ExchangeSpec demo;
  add_demo_markets(demo);
  ASSERT_EQ(demo.markets.size(), 3u);
  expect_same_markets(c.exchange.markets, demo.markets);
  ASSERT_EQ(c.exchange.assets.size(), demo.assets.size());
  for (size_t i = 0; i < demo.assets.size(); ++i) {
    EXPECT_EQ(c.exchange.assets[i].name, demo.assets[i].name);
    EXPECT_EQ(c.exchange.assets[i].full_name, demo.assets[i].full_name);
    const auto& got = c.exchange.assets[i].networks;
    const auto& want = demo.assets[i].networks;
    ASSERT_EQ(got.size(), want.size()) << demo.assets[i].name;
    for (size_t j = 0; j < want.size(); ++j) {
      SCOPED_TRACE(demo.assets[i].name + "/" + want[j].name);
      EXPECT_EQ(got[j].name, want[j].name);
      EXPECT_EQ(got[j].full_name, want[j].full_name);
      EXPECT_EQ(got[j].is_default, want[j].is_default);
      EXPECT_EQ(got[j].withdraw_fee, want[j].withdraw_fee);
      EXPECT_EQ(got[j].withdraw_min, want[j].withdraw_min);
      EXPECT_EQ(got[j].withdraw_max, want[j].withdraw_max);
      EXPECT_EQ(got[j].withdraw_multiple, want[j].withdraw_multiple);
      EXPECT_EQ(got[j].approval_above, want[j].approval_above);
      EXPECT_EQ(got[j].min_confirm, want[j].min_confirm);
      EXPECT_EQ(got[j].unlock_confirm, want[j].unlock_confirm);
      EXPECT_EQ(got[j].address_style, want[j].address_style);
      EXPECT_EQ(got[j].shared_address, want[j].shared_address);
      EXPECT_EQ(got[j].address_regex, want[j].address_regex);
      EXPECT_EQ(got[j].memo_regex, want[j].memo_regex);
    }
  }
}

TEST_F(ExampleConfigTest, SettingsAreTheDefaults) {
  ASSERT_TRUE(std::filesystem::exists(example_path())) << example_path();
  const Config file = load_config(example_path(), {});
  const Config defaults = load_config(std::nullopt, {});
  EXPECT_EQ(file.listen, defaults.listen);
  EXPECT_EQ(file.data_dir, defaults.data_dir);
  EXPECT_EQ(file.db, defaults.db);
  EXPECT_EQ(file.log_level, defaults.log_level);
  EXPECT_EQ(file.http.max_header_bytes, defaults.http.max_header_bytes);
  EXPECT_EQ(file.http.max_body_bytes, defaults.http.max_body_bytes);
  EXPECT_EQ(file.http.header_timeout, defaults.http.header_timeout);
  EXPECT_EQ(file.http.idle_timeout, defaults.http.idle_timeout);
  EXPECT_EQ(file.http.body_timeout, defaults.http.body_timeout);
  EXPECT_EQ(file.http.max_requests_per_connection, defaults.http.max_requests_per_connection);
  EXPECT_EQ(file.http.max_pipelined, defaults.http.max_pipelined);
  EXPECT_EQ(file.io_threads, defaults.io_threads);
  EXPECT_EQ(file.worker_threads, defaults.worker_threads);
  EXPECT_EQ(file.accounts.session_ttl_s, defaults.accounts.session_ttl_s);
  EXPECT_EQ(file.accounts.login_max_failures, defaults.accounts.login_max_failures);
  EXPECT_EQ(file.accounts.login_window_s, defaults.accounts.login_window_s);
  EXPECT_EQ(file.accounts.login_lock_s, defaults.accounts.login_lock_s);
  EXPECT_EQ(file.accounts.totp_max_failures, defaults.accounts.totp_max_failures);
  EXPECT_EQ(file.accounts.totp_window_s, defaults.accounts.totp_window_s);
  EXPECT_EQ(file.accounts.totp_lock_s, defaults.accounts.totp_lock_s);
  EXPECT_EQ(file.wallet.address_cooloff_s, defaults.wallet.address_cooloff_s);
  EXPECT_EQ(file.wallet.block_ms, defaults.wallet.block_ms);
  EXPECT_EQ(file.wallet.withdraw_delay_ms, defaults.wallet.withdraw_delay_ms);
  EXPECT_EQ(file.wallet.confirmations, defaults.wallet.confirmations);
  EXPECT_EQ(file.wallet.chain_tick_ms, defaults.wallet.chain_tick_ms);
  EXPECT_EQ(file.wallet.max_book_addresses, defaults.wallet.max_book_addresses);
  ASSERT_EQ(file.exchange.rate_limits.size(), defaults.exchange.rate_limits.size());
  for (size_t i = 0; i < defaults.exchange.rate_limits.size(); ++i) {
    EXPECT_EQ(file.exchange.rate_limits[i].type, defaults.exchange.rate_limits[i].type);
    EXPECT_EQ(file.exchange.rate_limits[i].interval, defaults.exchange.rate_limits[i].interval);
    EXPECT_EQ(file.exchange.rate_limits[i].interval_num,
              defaults.exchange.rate_limits[i].interval_num);
    EXPECT_EQ(file.exchange.rate_limits[i].limit, defaults.exchange.rate_limits[i].limit);
  }
}

TEST_F(ExampleConfigTest, ConvertSettingsAreTheDefaultsWithTheDemoPrices) {
  const Config file = load_config(example_path(), {});
  const Config defaults = load_config(std::nullopt, {});
  EXPECT_EQ(file.convert.spread_bps, defaults.convert.spread_bps);
  EXPECT_EQ(file.convert.max_quote_valid_ms, defaults.convert.max_quote_valid_ms);
  EXPECT_EQ(file.convert.max_open_quotes, defaults.convert.max_open_quotes);
  EXPECT_EQ(file.convert.max_amounts, defaults.convert.max_amounts);
  ExchangeSpec demo;
  add_demo_markets(demo);
  wallet::ConvertConfig demo_convert;
  add_demo_reference_prices(demo, demo_convert);
  EXPECT_EQ(demo_convert.reference_prices.size(), 3u);
  EXPECT_EQ(demo_convert.reference_prices.at("XRPUSDT"), 50'000'000);
  EXPECT_EQ(file.convert.reference_prices, demo_convert.reference_prices);
  // Configured prices are kept.
  wallet::ConvertConfig configured;
  configured.reference_prices = {{"XRPUSDT", 1}};
  add_demo_reference_prices(demo, configured);
  EXPECT_EQ(configured.reference_prices.size(), 1u);
}

TEST(DemoMarkets, AreTheDocumentedOnes) {
  ExchangeSpec ex;
  add_demo_markets(ex);
  ASSERT_EQ(ex.markets.size(), 3u);
  EXPECT_EQ(ex.markets[0].symbol, "BTCUSDT");
  EXPECT_EQ(ex.markets[1].symbol, "ETHUSDT");
  EXPECT_EQ(ex.markets[2].symbol, "XRPUSDT");
  EXPECT_EQ(ex.markets[0].tick_size, 1'000'000);   // 0.01
  EXPECT_EQ(ex.markets[2].step_size, 10'000'000);  // 0.1
  ASSERT_EQ(ex.assets.size(), 4u);
  EXPECT_EQ(ex.assets[3].name, "USDT");
  // Configured markets are kept.
  ExchangeSpec configured;
  configured.markets.push_back(Market{});
  configured.markets[0].symbol = "MINE";
  add_demo_markets(configured);
  ASSERT_EQ(configured.markets.size(), 1u);
  EXPECT_EQ(configured.markets[0].symbol, "MINE");
}

}  // namespace
}  // namespace kg::server
