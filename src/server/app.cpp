#include "server/app.hpp"

#include <sys/stat.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "accounts/accounts.hpp"
#include "api/admin_commands.hpp"
#include "api/api.hpp"
#include "auth/gatekeeper.hpp"
#include "engine/engine.hpp"
#include "wallet/chain_ticker.hpp"
#include "wallet/convert.hpp"
#include "wallet/wallet.hpp"
#include "trading/trading.hpp"
#include "streams/hub.hpp"
#include "streams/listen_keys.hpp"
#include "accounts/address_book.hpp"
#include "keys/access_log.hpp"
#include "keys/key_index.hpp"
#include "keys/key_service.hpp"
#include "crypto/sealer.hpp"
#include "net/server.hpp"
#include "server/config.hpp"
#include "server/demo.hpp"
#include "server/market_maker.hpp"
#include "server/master_key.hpp"
#include "store/store.hpp"

namespace kg::server {

namespace {

constexpr const char* kKeyCheckName = "master_key_check";
constexpr const char* kKeyCheckText = "keygate master key check";

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("keygate");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

// The database remembers a value sealed under the master key it was created with, so that
// starting with another key fails at once instead of failing every secret later.
void check_master_key(store::Store& store, const crypto::Sealer& sealer) {
  store.tx([&](store::Db& db) {
    auto row = db.query_one("SELECT value FROM meta WHERE name = ?", {std::string(kKeyCheckName)});
    if (!row) {
      db.exec("INSERT INTO meta (name, value) VALUES (?, ?)",
              {std::string(kKeyCheckName), sealer.seal(kKeyCheckText, kKeyCheckName)});
      return;
    }
    if (sealer.unseal(row->text(0), kKeyCheckName) != kKeyCheckText) {
      throw std::runtime_error(
          "the master key does not open this database: start with the master key it was created with "
          "(KEYGATE_MASTER_KEY, KEYGATE_MASTER_KEY_FILE or <data-dir>/master.key)");
    }
  });
}

keys::IpAllowlist parse_trusted_proxies(const std::string& text) {
  std::string bad;
  auto list = keys::IpAllowlist::parse_list(text, &bad);
  if (!list) throw std::runtime_error("setting http.trusted_proxies: '" + bad + "' is not an address or CIDR range");
  return *list;
}

int run(const ServeOptions& options) {
  Config config = load_config(options.config_file, options.flags);
  config.demo = options.demo;
  setup_logging(config.log_level);

  std::filesystem::create_directories(config.data_dir);
  ::chmod(config.data_dir.c_str(), 0700);
  const std::string db_url = config.db.empty() ? config.data_dir + "/keygate.db" : config.db;

  const crypto::Sealer sealer(load_master_key(config.data_dir));
  store::Store store(store::open_db(db_url));
  int version = store.migrate();
  store.add_reader(store::open_db(db_url));  // lookups that need not wait behind a commit
  for (const auto& w : store.durability_warnings()) spdlog::warn("event=weak_durability warning=\"{}\"", w);
  check_master_key(store, sealer);
  spdlog::info("event=store_ready backend={} schema_version={}",
               store.dialect() == store::Dialect::kSqlite ? "sqlite" : "postgresql", version);

  if (config.demo) {
    add_demo_markets(config.exchange);
    add_demo_reference_prices(config.exchange, config.convert);
    if (config.wallet.confirmations < 0) config.wallet.confirmations = 0;  // the demo credits at once
  }
  fill_default_networks(config.exchange);
  SystemClock clock;
  accounts::Accounts accounts(store, sealer, clock, config.accounts);
  keys::KeyIndex key_index;
  keys::AccessLog access_log(store, clock);
  keys::KeyService key_service(store, sealer, clock, key_index, config.keys,
                               [&accounts](int64_t uid, const std::string& code) { return accounts.check_totp(uid, code); });
  const size_t loaded = key_service.load();
  for (int64_t uid : accounts.users_without_api_access()) key_service.set_user_blocked(uid, true);
  spdlog::info("event=keys_loaded count={}", loaded);
  auth::Gatekeeper gatekeeper(key_index, access_log, clock);
  const keys::IpAllowlist trusted_proxies = parse_trusted_proxies(config.trusted_proxies);

  engine::Engine engine(store, clock);
  engine.recover();
  wallet::Wallet wallet(engine, store, config.exchange, config.wallet, clock);
  wallet.load();
  wallet::Convert convert(engine, store, config.exchange, config.convert, clock);
  convert.load();
  trading::Trading trading(engine, store, config.exchange, trading::TradingConfig{}, clock);
  trading.load();
  // Convert prices from the order book when it is deep enough for the amount.
  convert.set_book_source([&trading](const std::string& symbol, bool asks) {
    std::vector<wallet::BookLevel> out;
    auto depth = trading.depth(symbol, 500);
    if (!depth) return out;
    for (const auto& l : asks ? depth->asks : depth->bids) out.push_back({l.price, l.quantity});
    return out;
  });
  accounts::AddressBook address_book(store, clock, config.wallet.address_cooloff_s, config.wallet.max_book_addresses);
  // Streams: what the engine commits, to WebSocket subscribers (the hub's own thread formats and sends).
  streams::Hub hub(config.exchange, trading.market(), clock,
                   [&trading, &clock](const Market& m, const trading::Interval& interval) -> std::optional<trading::Kline> {
                     trading::KlineQuery q;
                     q.symbol = m.symbol;
                     q.interval = interval;
                     q.limit = 1;
                     q.now_ms = clock.now_ms();
                     auto k = trading.klines(q);
                     if (k.empty()) return std::nullopt;
                     return k.back();
                   });
  streams::ListenKeys listen_keys(clock);
  hub.every_second([&listen_keys, &key_index](int64_t now_ms) {
    listen_keys.sweep(now_ms, [&](const std::string& api_key) { return key_index.usable_for_reading(api_key, now_ms); });
  });
  trading.set_listener(&hub);
  engine.set_commit_listener([&hub](const engine::Batch& batch) { hub.on_commit(batch); });
  engine.start();  // what it commits before the hub starts waits in the hub's queue
  if (auto wrong = trading.check_holds()) spdlog::critical("event=holds_mismatch detail=\"{}\"", *wrong);
  wallet::ChainTicker chain(wallet, std::chrono::milliseconds(config.wallet.chain_tick_ms));
  chain.start();

  api::Metrics metrics;
  std::atomic<bool> ready{false};
  api::Services services{accounts, key_service, access_log, gatekeeper, trusted_proxies, wallet, address_book,
                         convert, clock, config.exchange, metrics, ready, trading, hub, listen_keys};
  api::Api api(services);
  hub.every_second([&api](int64_t now_ms) { api.sweep_ws_sessions(now_ms); });
  hub.start();
  api::AdminCommands admin(services);

  auto [host, port] = split_listen(config.listen);
  net::NetConfig net_config;
  net_config.host = host;
  net_config.port = port;
  net_config.admin_socket_path = config.data_dir + "/admin.sock";
  net_config.limits = config.http;
  net_config.io_threads = config.io_threads;
  net_config.worker_threads = config.worker_threads;
  net::Server server(api, admin, ready, net_config);
  const std::string url = server.bind();

  if (config.demo) std::cout << fund_demo_desk(convert);
  if (config.demo) std::cout << ensure_demo_user(accounts, wallet, url);
  std::unique_ptr<MarketMaker> market_maker;
  if (config.demo && options.market_maker) {
    market_maker = std::make_unique<MarketMaker>(trading, config.exchange, config.convert.reference_prices);
    std::cout << market_maker->prepare(accounts, wallet);
    market_maker->refresh();  // the books have quotes before the first client arrives
    market_maker->start();
  }
  std::cout << "keygate listening on " << url << std::endl;
  server.run();
  if (market_maker) market_maker->stop();
  chain.stop();
  engine.stop();  // after the network: every accepted command is answered first
  hub.stop();
  return 0;
}

}  // namespace

int serve(const ServeOptions& options) {
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "keygate: %s\n", e.what());
    return 1;
  }
}

}  // namespace kg::server
