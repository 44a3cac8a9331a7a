#pragma once
// Spot trading on the sequenced core: one order book per market, balances held and settled
// through the ledger, orders and trades written in the same group commit as their journal
// entries. See README.md and docs/architecture.md ("the life of an order").

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "common/market.hpp"
#include "common/result.hpp"
#include "engine/engine.hpp"
#include "matching/order_book.hpp"
#include "store/store.hpp"
#include "trading/events.hpp"
#include "trading/history.hpp"
#include "trading/market_data.hpp"
#include "trading/types.hpp"

namespace kg::trading {

class Trading {
 public:
  Trading(engine::Engine& engine, store::Store& store, const ExchangeSpec& exchange,
          const TradingConfig& config, const Clock& clock);
  ~Trading();
  Trading(const Trading&) = delete;
  Trading& operator=(const Trading&) = delete;

  // Rebuilds every book from the open orders, in the order they were placed (so time priority
  // is what it was), and the id counters and last prices. Call once, before the engine starts.
  // Returns the open orders restored.
  size_t load();

  // What needs no state: a configured symbol (-1121) and Binance's filters (-1013, -1128,
  // -1102). POST /api/v3/order/test stops here.
  Status check(const OrderRequest& request) const;

  // Places an order on the engine thread: -2010 "Duplicate order sent." for a clientOrderId
  // that is open already; -1013 MAX_NUM_ORDERS; -2010 "Order would immediately match and take."
  // for a LIMIT_MAKER that would take; -2010 insufficient balance when the hold does not fit
  // (nothing changes then). Otherwise the order is held, matched and settled, and its final
  // state (NEW, PARTIALLY_FILLED, FILLED, EXPIRED, EXPIRED_IN_MATCH) returned with its fills,
  // once durable.
  Result<Placed> place(OrderRequest request);
  // The same without holding the calling thread: `done` gets the result on the engine thread once
  // it is durable (or at once, on this thread, for what needs no state).
  void place_async(OrderRequest request, std::function<void(Result<Placed>&&)> done);

  // Cancels the user's open order by id (> 0) or clientOrderId, releasing what it still holds.
  // An unknown, closed or another user's order: -2011 "Unknown order sent.".
  Result<Order> cancel(int64_t user_id, const std::string& symbol, int64_t order_id,
                       const std::string& client_order_id);
  // Cancels every open order of the user on the symbol, oldest first; none open: -2011.
  Result<std::vector<Order>> cancel_all(int64_t user_id, const std::string& symbol);

  // Reads of committed state (the store). Another user's order is "not there" (-2013).
  Result<Order> order(int64_t user_id, const std::string& symbol, int64_t order_id,
                      const std::string& client_order_id);
  // Open orders, oldest first; an empty symbol means every symbol.
  std::vector<Order> open_orders(int64_t user_id, const std::string& symbol);
  // Orders of one symbol, oldest first.
  std::vector<Order> all_orders(int64_t user_id, const OrderQuery& query);
  // The user's side of each trade on a symbol, oldest first.
  std::vector<Trade> my_trades(int64_t user_id, const TradeQuery& query);

  // The book's aggregated levels (an engine read); -1121 for an unknown symbol.
  Result<Depth> depth(const std::string& symbol, size_t limit);

  // Public market data: last trades, top of book and the rolling day, as committed.
  const MarketData& market() const { return market_; }
  // Who hears every command's events (events.hpp) after its commit: the streams. Call before the
  // engine starts.
  void set_listener(MarketListener* listener) { listener_ = listener; }
  // Public history from the store (history.hpp); the symbol must be a configured market.
  std::vector<Kline> klines(const KlineQuery& query);
  std::vector<AggTrade> agg_trades(const AggQuery& query);
  std::vector<TradeTick> historical_trades(const std::string& symbol, std::optional<int64_t> from_id,
                                           size_t limit);

  // Fingerprint of every book (levels, and each open order in priority order with what it has
  // executed and holds): a restart must reproduce it.
  uint64_t state_hash();
  // Checks that each user's locked balance is exactly what their open orders hold; the first
  // mismatch, described, or nullopt.
  std::optional<std::string> check_holds();

 private:
  struct Book;
  // Engine thread only, below.
  Result<Placed> place_now(engine::Batch& batch, const OrderRequest& request);
  Result<Order> cancel_now(engine::Batch& batch, Order& order);
  Result<int64_t> hold_amount(const Book& book, const OrderRequest& request) const;
  void release(engine::Batch& batch, Order& order);
  void forget_open(const Order& order);
  Book& book_of(const std::string& symbol);
  const std::string& hold_asset(const Order& order) const;
  // What a command changed, gathered while it runs.
  struct Changes {
    std::vector<TradeTick> trades;
    std::vector<OrderUpdate> updates;
    std::set<int64_t> bid_prices, ask_prices;  // levels touched
    void touch(Side side, int64_t price);
    void done(const Order& order, const std::map<int64_t, size_t>& last_fill);
  };
  // Hands the command's events to market data and the listener once the batch is durable; moves
  // the book's update id when a level changed.
  void publish(engine::Batch& batch, Book& book, Changes changes);

  engine::Engine& engine_;
  store::Store& store_;
  const ExchangeSpec& exchange_;
  TradingConfig config_;
  const Clock& clock_;

  // Engine-thread state: the books; every open order by id; "user:clientOrderId" of open orders;
  // each user's open order ids; the id counters.
  std::map<std::string, std::unique_ptr<Book>> books_;
  std::unordered_map<int64_t, Order> open_;
  std::unordered_map<std::string, int64_t> open_client_ids_;
  std::unordered_map<int64_t, std::set<int64_t>> open_of_user_;
  int64_t next_order_id_ = 1;
  int64_t next_trade_id_ = 1;
  matching::Events events_;  // reused by every command
  MarketData market_;
  MarketListener* listener_ = nullptr;
};

}  // namespace kg::trading
