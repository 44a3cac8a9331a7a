// Orders on the engine thread: placement (idempotency, hold, match, settle, release), cancels,
// recovery of the books, and the engine reads (depth, state hash, hold check).

#include "trading/trading.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "ledger/entries.hpp"
#include "matching/validate.hpp"
#include "trading/hold_bound.hpp"
#include "trading/rows.hpp"

namespace kg::trading {

struct Trading::Book {
  explicit Book(const Market& m) : market(&m), book(m.step_size > 0 ? m.step_size : 1) {}
  const Market* market;
  matching::OrderBook book;
  int64_t last_price = 0;  // the last trade's price: the reference for a MARKET order's NOTIONAL
  // Binance's lastUpdateId: one step per command that changes a level. It starts at the last
  // journal entry's id, which only grows and grows at least as fast (every change posts an entry),
  // so it never goes back across a restart.
  int64_t update_id = 0;
};

namespace {

__extension__ using Int128 = __int128;

constexpr int64_t kBpsDenominator = 10'000;

std::string client_key(int64_t user_id, const std::string& client_order_id) {
  return std::to_string(user_id) + ":" + client_order_id;
}
std::string order_ref(int64_t id) {
  return "order:" + std::to_string(id);
}
std::string trade_ref(int64_t id) {
  return "trade:" + std::to_string(id);
}

// A fee on what a side receives, rounded up to the next unit: the exchange never takes less than
// the rate, and never more than the amount (so nobody receives below zero). The fee account gets
// exactly what the side pays, so the rounding creates nothing.
int64_t fee_of(int64_t amount, int64_t bps) {
  if (amount <= 0 || bps <= 0) return 0;
  const Int128 fee = (static_cast<Int128>(amount) * bps + kBpsDenominator - 1) / kBpsDenominator;
  return static_cast<int64_t>(std::min<Int128>(fee, amount));
}

matching::Order book_order(const Order& o) {
  matching::Order m;
  m.id = o.order_id;
  m.owner = o.user_id;
  m.side = o.side;
  m.type = o.type;
  m.tif = o.tif;
  m.stp = o.stp;
  m.price = o.price;
  m.quantity = o.orig_qty;
  m.quote_quantity = o.orig_quote_qty;
  return m;
}

// A settlement or release that the ledger refuses after the book has moved means the holds are
// wrong: a bug. Throwing stops the process (the engine's fail-stop) before anything is committed.
void must(const Status& s, const std::string& what) {
  if (!s) throw std::logic_error(fmt::format("trading: {} failed: {}", what, s.error().msg));
}

BookTop top_of(const matching::OrderBook& book) {
  BookTop top;
  for (const auto& l : book.depth(Side::kBuy, 1)) top.bid_price = l.price, top.bid_qty = l.quantity;
  for (const auto& l : book.depth(Side::kSell, 1)) top.ask_price = l.price, top.ask_qty = l.quantity;
  return top;
}

class Fnv1a {
 public:
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) byte(static_cast<unsigned char>(v >> (8 * i)));
  }
  void text(const std::string& s) {
    u64(s.size());
    for (char c : s) byte(static_cast<unsigned char>(c));
  }
  uint64_t value() const { return hash_; }

 private:
  void byte(unsigned char b) { hash_ = (hash_ ^ b) * 1099511628211ull; }
  uint64_t hash_ = 14695981039346656037ull;
};

}  // namespace

std::string_view to_string(ExecType type) {
  switch (type) {
    case ExecType::kNew: return "NEW";
    case ExecType::kTrade: return "TRADE";
    case ExecType::kCanceled: return "CANCELED";
    case ExecType::kExpired: return "EXPIRED";
    case ExecType::kTradePrevention: return "TRADE_PREVENTION";
  }
  return "NEW";
}

Trading::Trading(engine::Engine& engine, store::Store& store, const ExchangeSpec& exchange,
                 const TradingConfig& config, const Clock& clock)
    : engine_(engine), store_(store), exchange_(exchange), config_(config), clock_(clock),
      market_(exchange) {
  for (const auto& m : exchange_.markets) {
    const int64_t step = m.step_size > 0 ? m.step_size : 1;
    // The book wants every quantity on its step: a minQty off the step would let LOT_SIZE pass
    // quantities the book must refuse.
    if (m.min_qty % step != 0) {
      throw std::runtime_error(
          fmt::format("market {}: minQty must be a multiple of stepSize", m.symbol));
    }
    books_.emplace(m.symbol, std::make_unique<Book>(m));
  }
}

Trading::~Trading() = default;

Trading::Book& Trading::book_of(const std::string& symbol) {
  auto it = books_.find(symbol);
  if (it == books_.end()) throw std::logic_error("trading: no book for " + symbol);
  return *it->second;
}

const std::string& Trading::hold_asset(const Order& o) const {
  const Book& b = *books_.at(o.symbol);
  return o.side == Side::kBuy ? b.market->quote : b.market->base;
}

size_t Trading::load() {
  std::vector<Order> open;
  store_.tx([&](store::Db& db) {
    for (const auto& r :
         db.query(std::string("SELECT ") + kOrderColumns +
                  " FROM orders WHERE status IN ('NEW', 'PARTIALLY_FILLED') ORDER BY order_id")) {
      open.push_back(order_from_row(r));
    }
    next_order_id_ = db.query_one("SELECT COALESCE(MAX(order_id), 0) FROM orders")->int64(0) + 1;
    next_trade_id_ = db.query_one("SELECT COALESCE(MAX(trade_id), 0) FROM trades")->int64(0) + 1;
    const int64_t last_entry = db.query_one("SELECT COALESCE(MAX(id), 0) FROM journal_entries")->int64(0);
    for (auto& [symbol, book] : books_) {
      auto last = db.query_one(
          "SELECT price FROM trades WHERE symbol = ? ORDER BY trade_id DESC LIMIT 1", {symbol});
      if (last) book->last_price = last->int64(0);
      book->update_id = last_entry;
    }
    market_.load(db, clock_.now_ms());
  });
  // Open orders never crossed, and each rested when it was placed, so adding what is left of
  // each in id order rests them all again in their original time priority.
  for (const Order& o : open) {
    if (!books_.contains(o.symbol)) {
      throw std::runtime_error(fmt::format(
          "order {} is open on {}, which is not a configured market", o.order_id, o.symbol));
    }
    matching::Order m = book_order(o);
    m.type = OrderType::kLimit;
    m.tif = TimeInForce::kGtc;
    m.quantity = o.remaining();
    events_.clear();
    book_of(o.symbol).book.add(m, events_);
    if (events_.size() != 2 || events_.back().type != matching::EventType::kRested) {
      throw std::runtime_error(
          fmt::format("open order {} does not rest again on {}: the stored book is crossed",
                      o.order_id, o.symbol));
    }
    open_.emplace(o.order_id, o);
    open_client_ids_.emplace(client_key(o.user_id, o.client_order_id), o.order_id);
    open_of_user_[o.user_id].insert(o.order_id);
  }
  for (const auto& [symbol, book] : books_) market_.record(symbol, {}, top_of(book->book));
  spdlog::info("event=books_recovered open_orders={} next_order_id={} next_trade_id={}",
               open.size(), next_order_id_, next_trade_id_);
  return open.size();
}

Status Trading::check(const OrderRequest& r) const {
  const Market* m = exchange_.find_market(r.symbol);
  if (!m) return make_error(err::kBadSymbol);
  matching::Order o;
  o.side = r.side;
  o.type = r.type;
  o.tif = r.tif;
  o.price = r.price;
  o.quantity = r.quantity;
  o.quote_quantity = r.quote_quantity;
  return matching::validate(*m, o);
}

Result<Placed> Trading::place(OrderRequest request) {
  if (auto s = check(request); !s) return s.error();
  if (request.client_order_id.empty()) return make_error(err::kBadParam, "newClientOrderId");
  return engine_
      .submit<Result<Placed>>(
          [this, request](engine::Batch& batch) { return place_now(batch, request); })
      .get();
}

void Trading::place_async(OrderRequest request, std::function<void(Result<Placed>&&)> done) {
  if (auto s = check(request); !s) return done(s.error());
  if (request.client_order_id.empty()) return done(make_error(err::kBadParam, "newClientOrderId"));
  engine_.submit_then<Result<Placed>>(
      [this, request = std::move(request)](engine::Batch& batch) { return place_now(batch, request); },
      std::move(done));
}

Result<int64_t> Trading::hold_amount(const Book& b, const OrderRequest& r) const {
  if (r.type != OrderType::kMarket) {
    return r.side == Side::kBuy ? matching::quote_of(r.price, r.quantity) : r.quantity;
  }
  if (r.side == Side::kSell && r.quantity > 0) return r.quantity;
  if (r.side == Side::kBuy && r.quote_quantity > 0) return r.quote_quantity;
  // What the order spends depends on the book: walk it. With EXPIRE_MAKER the taker's own
  // resting orders are expired instead of taken, so they are not liquidity it can count on.
  std::map<int64_t, matching::Level> own;
  if (r.stp == SelfTradePrevention::kExpireMaker) {
    if (auto mine = open_of_user_.find(r.user_id); mine != open_of_user_.end()) {
      for (int64_t id : mine->second) {
        const Order& o = open_.at(id);
        if (o.symbol != r.symbol || o.side == r.side) continue;
        matching::Level& l = own[o.price];
        l.quantity += o.remaining();
        l.orders += 1;
      }
    }
  }
  const Side makers = r.side == Side::kBuy ? Side::kSell : Side::kBuy;
  for (size_t n : {size_t{64}, size_t{4096}, std::numeric_limits<size_t>::max()}) {
    std::vector<matching::Level> levels = b.book.depth(makers, n);
    const bool complete = levels.size() < n;
    for (auto& l : levels) {
      if (auto it = own.find(l.price); it != own.end()) {
        l.quantity -= it->second.quantity;
        l.orders -= it->second.orders;
      }
    }
    auto bound = r.side == Side::kBuy ? buy_cost_bound(levels, r.quantity, complete)
                                      : sell_base_bound(levels, r.quote_quantity, complete);
    if (bound) return *bound;
  }
  return make_error(err::kUnknown);  // unreachable: the last walk is complete
}

void Trading::release(engine::Batch& batch, Order& o) {
  if (o.held <= 0) return;
  must(batch.post(ledger::release(0, 0, o.user_id, hold_asset(o), o.held, order_ref(o.order_id))),
       "release");
  o.held = 0;
}

void Trading::forget_open(const Order& o) {
  const int64_t id = o.order_id;
  const int64_t user = o.user_id;
  open_client_ids_.erase(client_key(user, o.client_order_id));
  if (auto mine = open_of_user_.find(user); mine != open_of_user_.end()) {
    mine->second.erase(id);
    if (mine->second.empty()) open_of_user_.erase(mine);
  }
  open_.erase(id);  // o may refer into open_: nothing of it is read after this
}

Result<Placed> Trading::place_now(engine::Batch& batch, const OrderRequest& r) {
  Book& b = book_of(r.symbol);
  const Market& m = *b.market;
  const int64_t now = batch.now_ms();
  if (open_client_ids_.contains(client_key(r.user_id, r.client_order_id)))
    return make_error(err::kDuplicateOrder);
  if (r.type == OrderType::kMarket && r.quantity > 0 && b.last_price > 0) {
    // MARKET by quantity: NOTIONAL against the last price (Binance uses its average price).
    matching::Order probe;
    probe.side = r.side;
    probe.type = r.type;
    probe.quantity = r.quantity;
    if (auto s = matching::validate(m, probe, b.last_price); !s) return s.error();
  }
  if (auto mine = open_of_user_.find(r.user_id); mine != open_of_user_.end()) {
    const auto on_symbol = std::count_if(mine->second.begin(), mine->second.end(), [&](int64_t id) {
      return open_.at(id).symbol == r.symbol;
    });
    if (static_cast<size_t>(on_symbol) >= config_.max_open_orders) {
      return make_error(err::kFilterFailure, "MAX_NUM_ORDERS");
    }
  }
  if (r.type == OrderType::kLimitMaker) {
    const auto best = r.side == Side::kBuy ? b.book.best_ask() : b.book.best_bid();
    if (best && (r.side == Side::kBuy ? *best <= r.price : *best >= r.price))
      return make_error(err::kWouldTake);
  }

  Order o;
  o.order_id = next_order_id_;
  o.user_id = r.user_id;
  o.symbol = r.symbol;
  o.client_order_id = r.client_order_id;
  o.side = r.side;
  o.type = r.type;
  o.tif = r.type == OrderType::kLimit ? r.tif : TimeInForce::kGtc;
  o.stp = r.stp;
  o.price = r.type == OrderType::kMarket ? 0 : r.price;
  o.orig_qty = r.quantity;
  o.orig_quote_qty = r.type == OrderType::kMarket ? r.quote_quantity : 0;
  o.created_ms = o.updated_ms = now;

  auto hold = hold_amount(b, r);
  if (!hold) return hold.error();
  if (*hold > 0) {
    // The one step that may fail: nothing has changed yet.
    if (auto s =
            batch.post(ledger::hold(0, 0, o.user_id, hold_asset(o), *hold, order_ref(o.order_id)));
        !s) {
      return s.error();
    }
  }
  o.held = *hold;
  ++next_order_id_;

  events_.clear();
  b.book.add(book_order(o), events_);

  Placed out;
  Changes changes;
  std::map<int64_t, Order> makers;  // each touched maker's final state, to write once
  std::map<int64_t, size_t> last_fill;  // order id -> its last kTrade update
  bool rested = false;
  for (const matching::Event& e : events_) {
    switch (e.type) {
      case matching::EventType::kAccepted:
        changes.updates.push_back(OrderUpdate::of(o, ExecType::kNew));
        break;
      case matching::EventType::kTrade: {
        Order& maker = open_.at(e.maker_id);
        const bool taker_buys = e.side == Side::kBuy;
        Order& buyer = taker_buys ? o : maker;
        Order& seller = taker_buys ? maker : o;
        const int64_t buyer_fee =
            fee_of(e.quantity, taker_buys ? config_.taker_fee_bps : config_.maker_fee_bps);
        const int64_t seller_fee =
            fee_of(e.quote_quantity, taker_buys ? config_.maker_fee_bps : config_.taker_fee_bps);
        TradeRow t;
        t.trade_id = next_trade_id_++;
        t.symbol = m.symbol;
        t.base_asset = m.base;
        t.quote_asset = m.quote;
        t.price = e.price;
        t.qty = e.quantity;
        t.quote_qty = e.quote_quantity;
        t.buyer_id = buyer.user_id;
        t.buyer_order_id = buyer.order_id;
        t.buyer_fee = buyer_fee;
        t.seller_id = seller.user_id;
        t.seller_order_id = seller.order_id;
        t.seller_fee = seller_fee;
        t.buyer_maker = !taker_buys;
        t.entry_id = batch.next_entry_id();
        t.created_ms = now;
        must(batch.post(ledger::trade(0, 0, buyer.user_id, seller.user_id, m.base, e.quantity,
                                      buyer_fee, m.quote, e.quote_quantity, seller_fee,
                                      trade_ref(t.trade_id))),
             "settlement");
        buyer.held -= e.quote_quantity;
        seller.held -= e.quantity;
        if (buyer.held < 0 || seller.held < 0)
          throw std::logic_error("trading: a fill spent more than its hold");
        for (Order* side : {&buyer, &seller}) {
          side->executed_qty += e.quantity;
          side->cumm_quote_qty += e.quote_quantity;
          side->updated_ms = now;
        }
        maker.status = OrderStatus::kPartiallyFilled;  // its kDone follows if this filled it
        makers[maker.order_id] = maker;
        b.last_price = e.price;
        o.status = OrderStatus::kPartiallyFilled;  // its kRested or kDone says what it ends as
        const bool maker_buys = !taker_buys;
        for (const Order* side : {&maker, &o}) {
          const bool is_maker = side == &maker;
          const bool buys = is_maker ? maker_buys : taker_buys;
          last_fill[side->order_id] = changes.updates.size();
          changes.updates.push_back(OrderUpdate{*side, ExecType::kTrade, e.quantity, e.price, e.quote_quantity,
                                                buys ? buyer_fee : seller_fee, buys ? m.base : m.quote,
                                                t.trade_id, is_maker});
        }
        changes.touch(maker_buys ? Side::kBuy : Side::kSell, e.price);
        out.fills.push_back(Fill{t.trade_id, e.price, e.quantity, e.quote_quantity,
                                 taker_buys ? buyer_fee : seller_fee,
                                 taker_buys ? m.base : m.quote});
        changes.trades.push_back(TradeTick{t.trade_id, t.price, t.qty, t.quote_qty, now, t.buyer_maker});
        batch.insert(kTradesTable, trade_values(t));
        break;
      }
      case matching::EventType::kRested: {
        o.status = e.status;
        rested = true;
        changes.touch(o.side, o.price);
        // A BUY that took at better prices holds more than its rest can cost: a resting order
        // holds exactly its cost (price x remaining, rounded down like every fill).
        if (o.side == Side::kBuy) {
          const int64_t need = matching::quote_of(o.price, e.quantity);
          if (o.held > need) {
            must(batch.post(ledger::release(0, 0, o.user_id, m.quote, o.held - need,
                                            order_ref(o.order_id))),
                 "release");
            o.held = need;
          }
        }
        break;
      }
      case matching::EventType::kDone: {
        const bool taker = e.order_id == o.order_id;
        Order& done = taker ? o : open_.at(e.order_id);
        done.status = e.status;
        done.updated_ms = now;
        release(batch, done);
        changes.done(done, last_fill);
        if (taker) break;
        makers[done.order_id] = done;
        changes.touch(done.side, done.price);
        forget_open(done);
        break;
      }
    }
  }
  if (rested) {
    open_.emplace(o.order_id, o);
    open_client_ids_.emplace(client_key(o.user_id, o.client_order_id), o.order_id);
    open_of_user_[o.user_id].insert(o.order_id);
  }
  out.order = o;
  batch.insert(kOrdersTable, order_values(o));
  if (!makers.empty()) {
    batch.also([makers = std::move(makers)](store::Db& db) {
      for (const auto& [id, maker] : makers) update_order(db, maker);
    });
  }
  // The taker's final state in its last update (its fills were reported as they happened).
  if (!changes.updates.empty() && changes.updates.back().order.order_id == o.order_id) {
    changes.updates.back().order = o;
  }
  publish(batch, b, std::move(changes));
  return out;
}

void Trading::Changes::touch(Side side, int64_t price) {
  (side == Side::kBuy ? bid_prices : ask_prices).insert(price);
}

// An order that is done: FILLED says so in its last fill's update; anything else is an update of
// its own (CANCELED, EXPIRED, or EXPIRED_IN_MATCH by self-trade prevention).
void Trading::Changes::done(const Order& order, const std::map<int64_t, size_t>& last_fill) {
  auto fill = last_fill.find(order.order_id);
  if (order.status == OrderStatus::kFilled && fill != last_fill.end()) {
    updates[fill->second].order = order;
    return;
  }
  const ExecType exec = order.status == OrderStatus::kCanceled         ? ExecType::kCanceled
                        : order.status == OrderStatus::kExpiredInMatch ? ExecType::kTradePrevention
                                                                       : ExecType::kExpired;
  updates.push_back(OrderUpdate::of(order, exec));
}

void Trading::publish(engine::Batch& batch, Book& b, Changes changes) {
  MarketEvents events;
  events.market = b.market;
  events.time_ms = batch.now_ms();
  for (int64_t price : changes.bid_prices) events.bids.push_back(b.book.level_at(Side::kBuy, price));
  for (int64_t price : changes.ask_prices) events.asks.push_back(b.book.level_at(Side::kSell, price));
  events.first_update_id = b.update_id + 1;
  if (!events.bids.empty() || !events.asks.empty()) ++b.update_id;
  events.update_id = b.update_id;
  events.top = top_of(b.book);
  events.trades = std::move(changes.trades);
  events.updates = std::move(changes.updates);
  batch.on_commit([this, events = std::move(events)]() mutable {
    market_.record(events.market->symbol, events.trades, events.top);
    if (listener_) listener_->on_market(std::move(events));
  });
}

Result<Order> Trading::cancel_now(engine::Batch& batch, Order& o) {
  Book& b = book_of(o.symbol);
  events_.clear();
  if (!b.book.cancel(o.order_id, events_))
    throw std::logic_error("trading: an open order is not on its book");
  o.status = OrderStatus::kCanceled;
  o.updated_ms = batch.now_ms();
  release(batch, o);
  Order done = o;
  forget_open(o);
  batch.also([done](store::Db& db) { update_order(db, done); });
  Changes changes;
  changes.touch(done.side, done.price);
  changes.updates.push_back(OrderUpdate::of(done, ExecType::kCanceled));
  publish(batch, b, std::move(changes));
  return done;
}

Result<Order> Trading::cancel(int64_t user_id, const std::string& symbol, int64_t order_id,
                              const std::string& client_order_id) {
  if (!exchange_.find_market(symbol)) return make_error(err::kBadSymbol);
  return engine_
      .submit<Result<Order>>([=, this](engine::Batch& batch) -> Result<Order> {
        int64_t id = order_id;
        if (id <= 0) {
          auto it = open_client_ids_.find(client_key(user_id, client_order_id));
          if (it == open_client_ids_.end()) return make_error(err::kUnknownOrder);
          id = it->second;
        }
        auto it = open_.find(id);
        if (it == open_.end() || it->second.user_id != user_id || it->second.symbol != symbol) {
          return make_error(err::kUnknownOrder);
        }
        if (order_id > 0 && !client_order_id.empty() &&
            it->second.client_order_id != client_order_id) {
          return make_error(err::kUnknownOrder);  // both given: they must name the same order
        }
        return cancel_now(batch, it->second);
      })
      .get();
}

Result<std::vector<Order>> Trading::cancel_all(int64_t user_id, const std::string& symbol) {
  if (!exchange_.find_market(symbol)) return make_error(err::kBadSymbol);
  return engine_
      .submit<Result<std::vector<Order>>>(
          [=, this](engine::Batch& batch) -> Result<std::vector<Order>> {
            std::vector<int64_t> ids;
            if (auto mine = open_of_user_.find(user_id); mine != open_of_user_.end()) {
              for (int64_t id : mine->second) {  // a std::set: oldest first
                if (open_.at(id).symbol == symbol) ids.push_back(id);
              }
            }
            if (ids.empty()) return make_error(err::kUnknownOrder);
            std::vector<Order> out;
            for (int64_t id : ids) {
              auto done = cancel_now(batch, open_.at(id));
              if (!done) return done.error();
              out.push_back(*done);
            }
            return out;
          })
      .get();
}

Result<Depth> Trading::depth(const std::string& symbol, size_t limit) {
  if (!books_.contains(symbol)) return make_error(err::kBadSymbol);
  return engine_
      .submit<Result<Depth>>([=, this](engine::Batch&) -> Result<Depth> {
        const Book& b = *books_.at(symbol);
        return Depth{b.update_id, b.book.depth(Side::kBuy, limit),
                     b.book.depth(Side::kSell, limit)};
      })
      .get();
}

uint64_t Trading::state_hash() {
  return engine_
      .submit<uint64_t>([this](engine::Batch&) {
        Fnv1a h;
        for (const auto& [symbol, b] : books_) {
          h.text(symbol);
          for (Side side : {Side::kBuy, Side::kSell}) {
            for (const auto& l : b->book.depth(side, std::numeric_limits<size_t>::max())) {
              h.u64(static_cast<uint64_t>(l.price));
              h.u64(static_cast<uint64_t>(l.quantity));
              h.u64(static_cast<uint64_t>(l.orders));
            }
            h.u64(~uint64_t{0});
          }
        }
        // Open orders in priority order: symbol, side, price (best first), then time (id).
        std::vector<const Order*> open;
        for (const auto& [id, o] : open_) open.push_back(&o);
        std::sort(open.begin(), open.end(), [](const Order* a, const Order* b) {
          if (a->symbol != b->symbol) return a->symbol < b->symbol;
          if (a->side != b->side) return a->side < b->side;
          if (a->price != b->price)
            return a->side == Side::kBuy ? a->price > b->price : a->price < b->price;
          return a->order_id < b->order_id;
        });
        for (const Order* o : open) {
          const auto found = books_.at(o->symbol)->book.find(o->order_id);
          for (int64_t v : {o->order_id, o->user_id, o->price, o->orig_qty, o->executed_qty,
                            o->cumm_quote_qty, o->held, found ? found->remaining : int64_t{-1}}) {
            h.u64(static_cast<uint64_t>(v));
          }
          h.text(o->client_order_id);
          h.u64(static_cast<uint64_t>(o->status));
        }
        return h.value();
      })
      .get();
}

std::optional<std::string> Trading::check_holds() {
  return engine_
      .submit<std::optional<std::string>>([this](
                                              engine::Batch& batch) -> std::optional<std::string> {
        const ledger::Ledger& l = batch.ledger();
        std::map<std::pair<int64_t, std::string>, int64_t> held;
        std::map<std::string, int64_t> per_asset;
        for (const auto& [id, o] : open_) {
          const auto found = books_.at(o.symbol)->book.find(id);
          if (!found || found->remaining != o.remaining()) {
            return fmt::format("order {}: the book has {} open, the order {}", id,
                               found ? found->remaining : 0, o.remaining());
          }
          held[{o.user_id, hold_asset(o)}] += o.held;
          per_asset[hold_asset(o)] += o.held;
        }
        for (const auto& [key, amount] : held) {
          const int64_t locked = l.balance(ledger::AccountRef::user_locked(key.first), key.second);
          if (locked != amount) {
            return fmt::format("user {} {}: locked {} but open orders hold {}", key.first,
                               key.second, locked, amount);
          }
        }
        for (const auto& asset : l.assets()) {
          const int64_t locked = l.total(ledger::AccountKind::kUserLocked, asset);
          const int64_t orders = per_asset.contains(asset) ? per_asset.at(asset) : 0;
          if (locked != orders)
            return fmt::format("{}: users hold {} locked but open orders {}", asset, locked,
                               orders);
        }
        return std::nullopt;
      })
      .get();
}

}  // namespace kg::trading
