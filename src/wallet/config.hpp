#pragma once
// The wallet's settings ([wallet] in the TOML file, KEYGATE_WALLET_* in the environment).

#include <cstdint>

namespace kg::wallet {

struct WalletConfig {
  // A new address-book entry can be withdrawn to only after this long.
  int64_t address_cooloff_s = 86'400;
  // The simulated chain: a block every block_ms (deposit confirmations), a withdrawal leaves
  // withdraw_delay_ms after it starts processing.
  int64_t block_ms = 10'000;
  int64_t withdraw_delay_ms = 10'000;
  // >= 0: every network needs this many confirmations (the demo uses 0); -1: each network's own.
  int confirmations = -1;
  // How often the simulated chain moves (credits due deposits, completes due withdrawals).
  int64_t chain_tick_ms = 250;
  int max_book_addresses = 200;
};

}  // namespace kg::wallet
