#pragma once

#include <string>

#include "accounts/accounts.hpp"
#include "common/market.hpp"
#include "wallet/wallet.hpp"

namespace kg::server {

// BTC, ETH, XRP, USDT and the BTCUSDT, ETHUSDT, XRPUSDT markets with realistic filters.
void add_demo_markets(ExchangeSpec& exchange);

// Creates demo@keygate.local on first start, with 10,000 USDT deposited (once), and returns what
// to tell the person at the terminal.
std::string ensure_demo_user(accounts::Accounts& accounts, wallet::Wallet& wallet, const std::string& base_url);

}  // namespace kg::server
