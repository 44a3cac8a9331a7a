#pragma once
// The demo's liquidity: an account that keeps a few levels of LIMIT_MAKER quotes on each side of
// a reference price on every demo market, so that a newcomer's first order can fill. It trades
// through trading::Trading like anyone (holds, fees, the ledger), never takes, and puts back a
// level as soon as it is filled. `keygate serve --demo --no-market-maker` leaves it out.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "accounts/accounts.hpp"
#include "common/market.hpp"
#include "trading/trading.hpp"
#include "wallet/wallet.hpp"

namespace kg::server {

struct MarketMakerConfig {
  int levels = 5;                  // quotes per side
  int64_t step_bps = 10;           // level i (from 1) is i x 0.1 % away from the reference
  int64_t level_notional = 5'000;  // whole quote units (USDT) per level
  int64_t refresh_ms = 1000;       // how often filled levels are put back
};

class MarketMaker {
 public:
  MarketMaker(trading::Trading& trading, const ExchangeSpec& exchange,
              std::map<std::string, int64_t> reference_prices, MarketMakerConfig config = {});
  ~MarketMaker();
  MarketMaker(const MarketMaker&) = delete;
  MarketMaker& operator=(const MarketMaker&) = delete;

  // Creates the account on first start and deposits its inventory once (fixed txids); returns
  // what to tell the person at the terminal.
  std::string prepare(accounts::Accounts& accounts, wallet::Wallet& wallet);
  // Places every missing quote now; then start() keeps them there until stop().
  size_t refresh();
  void start();
  void stop();

  // A level's quote: price and quantity on the market's grid. Public for tests.
  struct Quote {
    std::string client_order_id;
    trading::Side side = trading::Side::kBuy;
    int64_t price = 0;
    int64_t quantity = 0;
  };
  std::vector<Quote> quotes(const Market& market, int64_t reference) const;
  int64_t user_id() const { return user_id_; }

 private:
  trading::Trading& trading_;
  const ExchangeSpec& exchange_;
  std::map<std::string, int64_t> references_;
  MarketMakerConfig config_;
  int64_t user_id_ = 0;
  bool warned_ = false;  // one log line when its inventory runs out, not one per refresh

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kg::server
