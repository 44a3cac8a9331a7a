#include "server/demo.hpp"

#include <fmt/format.h>

#include "common/decimal.hpp"
#include "crypto/random.hpp"

namespace kg::server {

namespace {
int64_t units(const char* text) { return *parse_decimal(text, kAmountScale); }

Market market(const char* base, const char* tick, const char* max_price, const char* step,
              const char* max_qty, const char* market_max_qty) {
  Market m;
  m.base = base;
  m.quote = "USDT";
  m.symbol = m.base + m.quote;
  m.tick_size = units(tick);
  m.min_price = units(tick);
  m.max_price = units(max_price);
  m.step_size = units(step);
  m.min_qty = units(step);
  m.max_qty = units(max_qty);
  m.market_min_qty = 0;
  m.market_max_qty = units(market_max_qty);
  m.min_notional = units("5");
  m.max_notional = units("9000000");
  return m;
}

Network network(const char* name, const char* full_name, const char* fee, const char* min, const char* max,
                const char* approval_above, int min_confirm, const char* style, const char* address_regex) {
  Network n;
  n.name = name;
  n.full_name = full_name;
  n.is_default = true;
  n.withdraw_fee = units(fee);
  n.withdraw_min = units(min);
  n.withdraw_max = units(max);
  n.withdraw_multiple = 1;
  n.approval_above = units(approval_above);
  n.min_confirm = min_confirm;
  n.unlock_confirm = min_confirm * 2;
  n.address_style = style;
  n.address_regex = address_regex;
  return n;
}

constexpr const char* kEvmRegex = "^(0x)[0-9A-Fa-f]{40}$";

std::vector<Asset> demo_assets() {
  Network btc = network("BTC", "Bitcoin", "0.0002", "0.001", "100", "2", 1, "bech32",
                        "^(bc1|[13])[a-zA-HJ-NP-Z0-9]{25,62}$");
  Network eth = network("ETH", "Ethereum (ERC20)", "0.0016", "0.01", "10000", "50", 12, "evm", kEvmRegex);
  Network xrp = network("XRP", "Ripple", "0.2", "2", "10000000", "100000", 1, "tag", "^r[1-9A-HJ-NP-Za-km-z]{24,34}$");
  xrp.memo_regex = "^[0-9]{1,10}$";
  xrp.shared_address = "rKeygateDemoDepositWa11etXRP1";
  Network usdt_eth = network("ETH", "Ethereum (ERC20)", "4", "10", "10000000", "50000", 12, "evm", kEvmRegex);
  usdt_eth.is_default = false;
  Network usdt_trx = network("TRX", "Tron (TRC20)", "1", "10", "10000000", "50000", 1, "base58",
                             "^T[1-9A-HJ-NP-Za-km-z]{33}$");
  return {{"BTC", "Bitcoin", {btc}},
          {"ETH", "Ethereum", {eth}},
          {"XRP", "XRP", {xrp}},
          {"USDT", "TetherUS", {usdt_trx, usdt_eth}}};
}
}  // namespace

void add_demo_markets(ExchangeSpec& ex) {
  if (ex.assets.empty()) ex.assets = demo_assets();
  if (ex.markets.empty()) {
    ex.markets = {market("BTC", "0.01", "1000000", "0.00001", "9000", "100"),
                  market("ETH", "0.01", "1000000", "0.0001", "9000", "1000"),
                  market("XRP", "0.0001", "10000", "0.1", "9000000", "1000000")};
  }
}

void add_demo_reference_prices(const ExchangeSpec& exchange, wallet::ConvertConfig& convert) {
  if (!convert.reference_prices.empty()) return;
  using Pair = std::pair<const char*, const char*>;
  for (const auto& [symbol, price] : {Pair{"BTCUSDT", "60000"}, Pair{"ETHUSDT", "3000"}, Pair{"XRPUSDT", "0.5"}}) {
    if (exchange.find_market(symbol)) convert.reference_prices[symbol] = units(price);
  }
}

std::string fund_demo_desk(wallet::Convert& convert) {
  std::string funded;
  using Pair = std::pair<const char*, const char*>;
  for (const auto& [asset, amount] :
       {Pair{"XRP", "1000000"}, Pair{"USDT", "1000000"}, Pair{"BTC", "100"}, Pair{"ETH", "1000"}}) {
    auto f = convert.fund_desk(asset, units(amount), fmt::format("demo-desk-{}", asset));
    if (!f) continue;  // an asset this exchange does not have
    if (!f->replayed) funded += fmt::format("{}{} {}", funded.empty() ? "" : ", ", amount, asset);
  }
  if (funded.empty()) return {};
  return fmt::format("convert desk funded with {} (USDT -> XRP and back at reference prices)\n", funded);
}

Status deposit_once(wallet::Wallet& wallet, int64_t user_id, const std::string& asset, int64_t amount,
                    const std::string& txid) {
  auto address = wallet.deposit_address(user_id, asset, "");
  if (!address) return address.error();
  auto credited =
      wallet.record_deposit({asset, address->network, address->address, address->tag, amount, txid});
  if (!credited) return credited.error();
  return ok_status();
}

std::string ensure_demo_user(accounts::Accounts& accounts, wallet::Wallet& wallet, const std::string& base_url) {
  constexpr const char* kEmail = "demo@keygate.local";
  if (accounts.find_by_email(kEmail)) {
    return fmt::format("demo user {} already exists (its password was shown when it was created)\n", kEmail);
  }
  const std::string password = crypto::random_hex(8);
  auto user = accounts.signup(kEmail, password);
  if (!user) return fmt::format("could not create the demo user: {}\n", user.error().msg);
  // A welcome deposit, credited once whatever happens (the txid is fixed).
  if (auto credited = deposit_once(wallet, user->id, "USDT", units("10000"), "demo-welcome-usdt"); !credited) {
    return fmt::format("could not credit the demo deposit: {}\n", credited.error().msg);
  }
  return fmt::format(
      "demo user: {}  password: {}  (shown once; 2FA not yet enabled; 10,000 USDT deposited)\n"
      "next: log in with\n"
      "  curl -s {}/console/v1/login -d '{{\"email\":\"{}\",\"password\":\"{}\"}}'\n"
      "then enable 2FA: POST /console/v1/2fa/setup, scan the QR code, POST /console/v1/2fa/enable\n",
      kEmail, password, base_url, kEmail, password);
}

}  // namespace kg::server
