#pragma once

#include <string>

#include "accounts/accounts.hpp"
#include "common/market.hpp"
#include "wallet/convert.hpp"
#include "wallet/wallet.hpp"

namespace kg::server {

// BTC, ETH, XRP, USDT and the BTCUSDT, ETHUSDT, XRPUSDT markets with realistic filters.
void add_demo_markets(ExchangeSpec& exchange);

// Pays `amount` of `asset` into the user's deposit address on the simulated chain as transaction
// `txid`: credited once, however often it is called.
Status deposit_once(wallet::Wallet& wallet, int64_t user_id, const std::string& asset, int64_t amount,
                    const std::string& txid);

// Creates demo@keygate.local on first start, with 10,000 USDT deposited (once), and returns what
// to tell the person at the terminal.
std::string ensure_demo_user(accounts::Accounts& accounts, wallet::Wallet& wallet, const std::string& base_url);

// Convert prices for the demo when none are configured: BTCUSDT 60000, ETHUSDT 3000, XRPUSDT 0.5
// (for those of the markets that exist).
void add_demo_reference_prices(const ExchangeSpec& exchange, wallet::ConvertConfig& convert);

// Puts the demo's inventory on the convert desk (1,000,000 XRP and USDT, 100 BTC, 1000 ETH), once:
// the references are fixed, so a restart funds nothing. Returns what to tell (empty when nothing
// was funded).
std::string fund_demo_desk(wallet::Convert& convert);

}  // namespace kg::server
