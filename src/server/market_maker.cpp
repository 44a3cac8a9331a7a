#include "server/market_maker.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/decimal.hpp"
#include "crypto/random.hpp"
#include "server/demo.hpp"

namespace kg::server {

namespace {

__extension__ using Int128 = __int128;
constexpr int64_t kBps = 10'000;
constexpr const char* kEmail = "market-maker@keygate.local";
// Inventory for this many complete refills of every level on both sides.
constexpr int64_t kRefills = 100;

int64_t floor_to(int64_t v, int64_t step) {
  return step > 0 ? v / step * step : v;
}
int64_t ceil_to(int64_t v, int64_t step) {
  return step > 0 ? (v + step - 1) / step * step : v;
}

}  // namespace

MarketMaker::MarketMaker(trading::Trading& trading, const ExchangeSpec& exchange,
                         std::map<std::string, int64_t> reference_prices, MarketMakerConfig config)
    : trading_(trading), exchange_(exchange), references_(std::move(reference_prices)), config_(config) {}

MarketMaker::~MarketMaker() { stop(); }

std::vector<MarketMaker::Quote> MarketMaker::quotes(const Market& m, int64_t reference) const {
  std::vector<Quote> out;
  const int64_t one = pow10(kAmountScale);
  const Int128 notional = Int128{config_.level_notional} * one;
  for (int i = 1; i <= config_.levels; ++i) {
    const Int128 away = Int128{config_.step_bps} * i;
    const int64_t bid = floor_to(static_cast<int64_t>(reference * (kBps - away) / kBps), m.tick_size);
    const int64_t ask = ceil_to(static_cast<int64_t>((reference * (kBps + away) + kBps - 1) / kBps), m.tick_size);
    for (auto [side, price] : {std::pair{trading::Side::kBuy, bid}, std::pair{trading::Side::kSell, ask}}) {
      if (price < m.min_price || price > m.max_price || price <= 0) continue;
      // About level_notional of quote at this price, on the lot grid and above the minimums.
      int64_t qty = floor_to(static_cast<int64_t>(notional * one / price), m.step_size);
      qty = std::clamp(qty, m.min_qty, m.max_qty);
      while (Int128{qty} * price / one < m.min_notional && qty < m.max_qty) qty += std::max<int64_t>(m.step_size, 1);
      out.push_back(Quote{fmt::format("mm-{}-{}{}", m.symbol, side == trading::Side::kBuy ? 'B' : 'S', i), side,
                          price, qty});
    }
  }
  return out;
}

std::string MarketMaker::prepare(accounts::Accounts& accounts, wallet::Wallet& wallet) {
  if (auto user = accounts.find_by_email(kEmail)) {
    user_id_ = user->id;
  } else {
    // Nobody logs in as the market maker: its password is thrown away.
    auto created = accounts.signup(kEmail, crypto::random_hex(16));
    if (!created) return fmt::format("could not create the market maker: {}\n", created.error().msg);
    user_id_ = created->id;
  }
  std::map<std::string, int64_t> inventory;
  const int64_t one = pow10(kAmountScale);
  for (const auto& [symbol, reference] : references_) {
    const Market* m = exchange_.find_market(symbol);
    if (!m) continue;
    for (const Quote& q : quotes(*m, reference)) {
      if (q.side == trading::Side::kBuy) {
        inventory[m->quote] += static_cast<int64_t>(Int128{q.price} * q.quantity / one) * kRefills;
      } else {
        inventory[m->base] += q.quantity * kRefills;
      }
    }
  }
  std::string funded;
  for (const auto& [asset, amount] : inventory) {
    if (auto s = deposit_once(wallet, user_id_, asset, amount, "demo-market-maker-" + asset); !s) {
      return fmt::format("could not fund the market maker with {}: {}\n", asset, s.error().msg);
    }
    funded += fmt::format("{}{} {}", funded.empty() ? "" : ", ", format_decimal(amount, kAmountScale), asset);
  }
  return fmt::format("market maker {} quotes {} levels a side on {} markets (inventory {})\n", kEmail,
                     config_.levels, references_.size(), funded);
}

size_t MarketMaker::refresh() {
  size_t placed = 0;
  for (const auto& [symbol, reference] : references_) {
    const Market* m = exchange_.find_market(symbol);
    if (!m) continue;
    std::map<std::string, trading::Order> open;
    for (auto& o : trading_.open_orders(user_id_, symbol)) open.emplace(o.client_order_id, o);
    const auto wanted = quotes(*m, reference);
    for (const Quote& q : wanted) {
      auto it = open.find(q.client_order_id);
      if (it != open.end() && it->second.price == q.price) continue;
      if (it != open.end()) (void)trading_.cancel(user_id_, symbol, it->second.order_id, "");
      trading::OrderRequest r;
      r.user_id = user_id_;
      r.symbol = symbol;
      r.side = q.side;
      r.type = trading::OrderType::kLimitMaker;
      r.price = q.price;
      r.quantity = q.quantity;
      r.client_order_id = q.client_order_id;
      auto p = trading_.place(r);
      if (p) {
        ++placed;
      } else if (p.error().code == -2010 && !warned_ && p.error().msg.find("balance") != std::string::npos) {
        warned_ = true;
        spdlog::warn("event=market_maker_out_of_inventory symbol={} side={}", symbol, matching::to_string(q.side));
      }
    }
    // Quotes it no longer wants (another configuration): off the book.
    for (const auto& [id, o] : open) {
      const bool wanted_id = std::any_of(wanted.begin(), wanted.end(), [&](const Quote& q) { return q.client_order_id == id; });
      if (!wanted_id) (void)trading_.cancel(user_id_, symbol, o.order_id, "");
    }
  }
  return placed;
}

void MarketMaker::start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(config_.refresh_ms), [this] { return stopping_; })) {
      lock.unlock();
      try {
        refresh();
      } catch (const std::exception& e) {
        spdlog::error("event=market_maker_error error=\"{}\"", e.what());
      }
      lock.lock();
    }
  });
}

void MarketMaker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace kg::server
