#pragma once
// What each user holds as of the last committed batch, readable from any thread without waiting
// for the engine: the engine publishes the users a batch touched once the batch is durable and
// before its replies go out, so a reader sees every acknowledged change and nothing uncommitted.

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "ledger/ledger.hpp"

namespace kg::engine {

class CommittedBalances {
 public:
  using Held = std::shared_ptr<const std::vector<ledger::UserBalance>>;

  // Engine thread: the balances of every user that `entries` posted to, as `ledger` now has them.
  void publish(const ledger::Ledger& ledger, const std::vector<ledger::Entry>& entries);
  // Engine thread, at recovery: every user the ledger holds anything for.
  void publish_all(const ledger::Ledger& ledger);
  // Any thread: the user's free and locked balance per asset, sorted by asset, all-zero assets
  // omitted (as Ledger::balances_of); never null.
  Held of(int64_t user) const;

 private:
  void set(int64_t user, std::vector<ledger::UserBalance> held);

  static constexpr size_t kShards = 64;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<int64_t, Held> users;
  };
  std::array<Shard, kShards> shards_;
  Held none_ = std::make_shared<const std::vector<ledger::UserBalance>>();
};

}  // namespace kg::engine
