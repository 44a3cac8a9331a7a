// R7 (../shared/docs/reliability-security.md): a seeded simulation of the ledger and the matching
// engine together, through trading::Trading on a real engine with a manual clock. Each seed runs a
// random flow of orders of every type, time in force and self-trade prevention mode, and cancels,
// among three users; after every operation the book is not crossed, money is conserved per asset
// (users + fees), and the taker's balances moved by exactly its fills net of fees; a restart
// mid-way and at the end (journal replay, books reloaded) gives the same state hashes, holds equal
// locked balances and the journal reconciles.
//
// 1,000 seeds on an in-memory SQLite store (the store's speed is not what is tested; its
// contents are, through the replay), and a few seeds on a file and on PostgreSQL. A failure names
// its seed; KEYGATE_SIM_SEED=N runs that seed alone, KEYGATE_SIM_SEEDS=N changes the count.

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <stdexcept>
#include <string>

#include "trading/trading_fixture.hpp"

namespace kg::trading {
namespace {

using ledger::AccountRef;
using test::u;

constexpr int kOpsPerSeed = 150;
const int64_t kFundBtc = u("2");
const int64_t kFundUsdt = u("120000");

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

// Free + locked of each user and the fee account, for BTC and USDT, read in one engine command.
struct Balances {
  std::map<int64_t, std::pair<int64_t, int64_t>> users;  // user -> (BTC, USDT)
  int64_t fee_btc = 0, fee_usdt = 0;
};

class Sim {
 public:
  Sim(std::unique_ptr<store::Db> db, uint64_t seed) : store_(std::move(db)), rng_(seed) {
    store_.migrate();
    for (const char* email : {"a@sim", "b@sim", "c@sim"}) {
      users_.push_back(store_.tx([&](store::Db& d) {
        return d.query_one("INSERT INTO users (email, password_hash, created_at, updated_at) VALUES (?, 'x', 0, 0) "
                           "RETURNING id",
                           {std::string(email)})
            ->int64(0);
      }));
    }
    start();
    for (int64_t user : users_) {
      deposit(user, "BTC", kFundBtc);
      deposit(user, "USDT", kFundUsdt);
    }
  }
  ~Sim() { stop(); }

  // Runs the flow; returns a description of the first broken invariant, or "".
  std::string run() {
    const int restart_at = static_cast<int>(pick(20, kOpsPerSeed - 20));
    std::vector<std::pair<int64_t, int64_t>> placed;  // (user, order id) of orders that rested
    for (int op = 0; op < kOpsPerSeed; ++op) {
      clock_.advance_ms(pick(0, 3) * 250);
      if (op == restart_at) {
        if (auto why = restart_keeps_state(); !why.empty()) return why;
      }
      const int64_t user = users_[static_cast<size_t>(pick(0, 2))];
      const int kind = static_cast<int>(pick(0, 11));
      if (kind <= 1 && !placed.empty()) {
        const auto [owner, id] = placed[static_cast<size_t>(pick(0, static_cast<int64_t>(placed.size()) - 1))];
        (void)trading_->cancel(owner, "BTCUSDT", id, "");  // may be done already: -2011
      } else if (kind == 2) {
        (void)trading_->cancel_all(user, "BTCUSDT");
      } else {
        const OrderRequest r = random_order(user, kind);
        const Balances before = balances();
        auto p = trading_->place(r);
        if (!p.ok()) {
          const int code = p.error().code;
          if (code != -2010 && code != -1013) return "unexpected refusal " + p.error().msg;
          if (auto why = unchanged(before, balances()); !why.empty()) return "a refused order changed " + why;
        } else {
          if (p->order.open()) placed.emplace_back(user, p->order.order_id);
          if (r.stp != SelfTradePrevention::kNone) {  // with NONE the taker may be its own maker
            if (auto why = taker_moved_by_its_fills(r, *p, before, balances()); !why.empty()) return why;
          }
          fills_ += p->fills.size();
        }
      }
      if (auto why = book_not_crossed(); !why.empty()) return why;
      if (auto why = conserved(balances()); !why.empty()) return why;
    }
    return restart_keeps_state();
  }
  size_t fills() const { return fills_; }

 private:
  int64_t pick(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }

  void start() {
    engine_ = std::make_unique<engine::Engine>(store_, clock_);
    engine_->recover();
    wallet_ = std::make_unique<wallet::Wallet>(*engine_, store_, exchange_, wallet_config_, clock_);
    wallet_->load();
    trading_ = std::make_unique<Trading>(*engine_, store_, exchange_, config_, clock_);
    trading_->load();
    engine_->start();
  }
  void stop() {
    if (engine_) engine_->stop();
    trading_.reset();
    wallet_.reset();
    engine_.reset();
  }
  void deposit(int64_t user, const std::string& asset, int64_t amount) {
    const std::string txid = "sim-" + std::to_string(++deposits_);
    auto s = engine_
                 ->submit<Status>([=](engine::Batch& b) { return b.post(ledger::deposit(0, 0, user, asset, amount, txid)); })
                 .get();
    if (!s) throw std::runtime_error("deposit: " + s.error().msg);
  }

  OrderRequest random_order(int64_t user, int kind) {
    OrderRequest r;
    r.user_id = user;
    r.symbol = "BTCUSDT";
    r.side = pick(0, 1) == 0 ? Side::kBuy : Side::kSell;
    r.client_order_id = "s" + std::to_string(++client_ids_);
    r.stp = static_cast<SelfTradePrevention>(pick(0, 3));
    const int64_t qty = pick(1, 400) * u("0.0001");
    if (kind <= 8) {
      r.type = kind == 8 ? OrderType::kLimitMaker : OrderType::kLimit;
      r.tif = kind == 8 ? TimeInForce::kGtc : static_cast<TimeInForce>(pick(0, 2));
      r.price = u("59900") + pick(0, 40) * u("5");
      r.quantity = qty;
    } else {
      r.type = OrderType::kMarket;
      if (kind == 9 || kind == 10) {
        r.quantity = qty;
      } else {
        r.quote_quantity = pick(10, 5000) * u("1");
      }
    }
    return r;
  }

  Balances balances() {
    return engine_
        ->submit<Balances>([this](engine::Batch& b) {
          Balances out;
          const auto& l = b.ledger();
          for (int64_t user : users_) {
            auto total = [&](const char* asset) {
              return l.balance(AccountRef::user_free(user), asset) + l.balance(AccountRef::user_locked(user), asset);
            };
            out.users[user] = {total("BTC"), total("USDT")};
          }
          out.fee_btc = l.balance(AccountRef::fees(), "BTC");
          out.fee_usdt = l.balance(AccountRef::fees(), "USDT");
          return out;
        })
        .get();
  }

  std::string conserved(const Balances& b) const {
    int64_t btc = b.fee_btc, usdt = b.fee_usdt;
    for (const auto& [user, v] : b.users) {
      if (v.first < 0 || v.second < 0) return "a negative balance";
      btc += v.first;
      usdt += v.second;
    }
    const int64_t n = static_cast<int64_t>(users_.size());
    if (btc != n * kFundBtc || usdt != n * kFundUsdt) {
      return "money created or destroyed: BTC " + std::to_string(btc) + " USDT " + std::to_string(usdt);
    }
    return "";
  }

  static std::string unchanged(const Balances& a, const Balances& b) {
    if (a.users != b.users || a.fee_btc != b.fee_btc || a.fee_usdt != b.fee_usdt) return "balances";
    return "";
  }

  // The taker receives what it bought less the commission and pays exactly the fills' other side.
  static std::string taker_moved_by_its_fills(const OrderRequest& r, const Placed& p, const Balances& before,
                                              const Balances& after) {
    int64_t qty = 0, quote = 0, commission = 0;
    for (const Fill& f : p.fills) {
      qty += f.qty;
      quote += f.quote_qty;
      commission += f.commission;
    }
    if (qty != p.order.executed_qty || quote != p.order.cumm_quote_qty) return "fills do not add up to the order";
    const auto [btc0, usdt0] = before.users.at(r.user_id);
    const auto [btc1, usdt1] = after.users.at(r.user_id);
    const bool buy = r.side == Side::kBuy;
    const int64_t want_btc = buy ? qty - commission : -qty;
    const int64_t want_usdt = buy ? -quote : quote - commission;
    if (btc1 - btc0 != want_btc || usdt1 - usdt0 != want_usdt) {
      return "the taker's balances moved by BTC " + std::to_string(btc1 - btc0) + " USDT " +
             std::to_string(usdt1 - usdt0) + ", its fills say " + std::to_string(want_btc) + " and " +
             std::to_string(want_usdt);
    }
    const int64_t fees = (after.fee_btc - before.fee_btc) + (after.fee_usdt - before.fee_usdt);
    if (!p.fills.empty() && fees < commission) return "the fee account got less than the taker paid";
    return "";
  }

  std::string book_not_crossed() const {
    const auto top = *trading_->market().top("BTCUSDT");
    if (top.bid_price > 0 && top.ask_price > 0 && top.bid_price >= top.ask_price) return "the book is crossed";
    return "";
  }

  // Replaying the journal and reloading the books reproduces both state hashes.
  std::string restart_keeps_state() {
    const uint64_t book_hash = trading_->state_hash();
    const uint64_t ledger_hash = wallet_->verify().state_hash;
    stop();
    start();
    if (trading_->state_hash() != book_hash) return "the books differ after a restart";
    const wallet::Verification v = wallet_->verify();
    if (v.state_hash != ledger_hash) return "the ledger differs after a restart";
    if (v.mismatch) return "the journal does not reconcile: " + *v.mismatch;
    if (auto wrong = trading_->check_holds()) return "holds: " + *wrong;
    return "";
  }

  store::Store store_;
  std::mt19937_64 rng_;
  ManualClock clock_{1'700'000'000'000};
  ExchangeSpec exchange_ = test::trading_exchange();
  wallet::WalletConfig wallet_config_;
  TradingConfig config_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<wallet::Wallet> wallet_;
  std::unique_ptr<Trading> trading_;
  std::vector<int64_t> users_;
  int deposits_ = 0;
  int client_ids_ = 0;
  size_t fills_ = 0;
};

TEST(TradingSimulation, ThousandSeedsKeepEveryInvariant) {
  const uint64_t only = env_or("KEYGATE_SIM_SEED", 0);
  const uint64_t seeds = only ? 1 : env_or("KEYGATE_SIM_SEEDS", 1000);
  size_t fills = 0;
  for (uint64_t i = 0; i < seeds; ++i) {
    const uint64_t seed = only ? only : 7'000'000 + i;
    Sim sim(store::open_sqlite(":memory:"), seed);
    const std::string why = sim.run();
    ASSERT_EQ(why, "") << "seed " << seed << " (rerun with KEYGATE_SIM_SEED=" << seed << ")";
    fills += sim.fills();
  }
  // The flow trades: a simulation whose orders never met would prove little.
  EXPECT_GT(fills, seeds * 20);
}

template <typename Backend>
class DurableSimulation : public ::testing::Test {};
TYPED_TEST_SUITE(DurableSimulation, test::Backends);

TYPED_TEST(DurableSimulation, SeedsOnADurableStore) {
  if (auto why = TypeParam::skip_reason()) GTEST_SKIP() << *why;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    TypeParam backend;
    Sim sim(backend.open(), seed);
    ASSERT_EQ(sim.run(), "") << "seed " << seed;
  }
}

}  // namespace
}  // namespace kg::trading
