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
}  // namespace

void add_demo_markets(ExchangeSpec& ex) {
  if (ex.assets.empty()) {
    ex.assets = {{"BTC", "Bitcoin"}, {"ETH", "Ethereum"}, {"XRP", "XRP"}, {"USDT", "TetherUS"}};
  }
  if (ex.markets.empty()) {
    ex.markets = {market("BTC", "0.01", "1000000", "0.00001", "9000", "100"),
                  market("ETH", "0.01", "1000000", "0.0001", "9000", "1000"),
                  market("XRP", "0.0001", "10000", "0.1", "9000000", "1000000")};
  }
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
  auto credited = wallet.credit_deposit({user->id, "USDT", "USDT", "demo", units("10000"), "demo-welcome-usdt"});
  if (!credited) return fmt::format("could not credit the demo deposit: {}\n", credited.error().msg);
  return fmt::format(
      "demo user: {}  password: {}  (shown once; 2FA not yet enabled; 10,000 USDT deposited)\n"
      "next: log in with\n"
      "  curl -s {}/console/v1/login -d '{{\"email\":\"{}\",\"password\":\"{}\"}}'\n"
      "then enable 2FA: POST /console/v1/2fa/setup, scan the QR code, POST /console/v1/2fa/enable\n",
      kEmail, password, base_url, kEmail, password);
}

}  // namespace kg::server
