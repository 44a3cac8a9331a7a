#pragma once
// The limits an owner sets on one API key (keys::KeyLimits), below the IP's and the account's:
// request weight per minute and new orders per 10 seconds, in fixed windows aligned to the clock
// like Binance's. Only keys with a limit of their own are tracked. Thread-safe.

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "keys/api_key.hpp"

namespace kg::auth {

class KeyLimiter {
 public:
  struct Verdict {
    bool passed = true;
    bool orders = false;        // refused for orders (-1015), else for weight (-1003)
    int64_t limit = 0;          // the limit it is over
    int64_t retry_after_s = 0;  // until its window ends
  };
  // Counts a request of `weight` (and one new order when `order`) against the key's own limits;
  // a refused request is not counted.
  Verdict admit(const keys::ApiKey& key, int64_t weight, bool order, int64_t now_ms);

 private:
  struct Windows {
    int64_t weight_window = -1, weight = 0;
    int64_t order_window = -1, orders = 0;
  };
  std::mutex mu_;
  std::unordered_map<int64_t, Windows> by_key_;
};

}  // namespace kg::auth
