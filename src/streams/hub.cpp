#include "streams/hub.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>

#include "ledger/entries.hpp"

namespace kg::streams {

namespace {

constexpr auto kTick = std::chrono::milliseconds(100);

bool is_balance_update(const std::string& kind) {
  return kind == ledger::kKindDeposit || kind == ledger::kKindTransfer || kind == ledger::kKindWithdrawRequest ||
         kind == ledger::kKindWithdrawReturn;
}

void merge(std::map<int64_t, int64_t>& into, const std::vector<matching::Level>& levels) {
  for (const auto& l : levels) into[l.price] = l.quantity;
}

}  // namespace

Hub::Hub(const ExchangeSpec& exchange, const trading::MarketData& market, const Clock& clock,
         KlineSource current_kline)
    : exchange_(exchange), market_(market), clock_(clock), current_kline_(std::move(current_kline)) {
  for (const auto& m : exchange_.markets) states_[m.symbol];
}

Hub::~Hub() { stop(); }

void Hub::start() { thread_ = std::thread([this] { run(); }); }

void Hub::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// ---- subscriptions (any thread) ----

bool Hub::subscribe(const std::string& name, const std::shared_ptr<Sink>& sink, Wrap wrap) {
  auto parsed = parse_stream(name, exchange_);
  if (!parsed) return false;
  std::lock_guard lock(subs_mu_);
  auto& subs = streams_[name];
  for (const auto& s : subs) {
    if (s.sink.lock() == sink) return true;  // already
  }
  subs.push_back(Subscriber{sink, std::move(wrap)});
  if (parsed->kind == Kind::kKline) kline_wanted_.emplace(parsed->market->symbol, std::string(parsed->interval.name));
  return true;
}

void Hub::unsubscribe(const std::string& name, const Sink* sink) {
  std::lock_guard lock(subs_mu_);
  auto it = streams_.find(name);
  if (it == streams_.end()) return;
  std::erase_if(it->second, [sink](const Subscriber& s) { return s.sink.expired() || s.sink.lock().get() == sink; });
  if (it->second.empty()) streams_.erase(it);
}

void Hub::subscribe_user(int64_t user_id, const std::shared_ptr<Sink>& sink, Wrap wrap) {
  std::lock_guard lock(subs_mu_);
  users_[user_id].push_back(Subscriber{sink, std::move(wrap)});
  ++user_subscriptions_;
}

void Hub::unsubscribe_user(int64_t user_id, const Sink* sink) {
  std::lock_guard lock(subs_mu_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return;
  user_subscriptions_ -= std::erase_if(it->second, [sink](const Subscriber& s) {
    return s.sink.expired() || s.sink.lock().get() == sink;
  });
  if (it->second.empty()) users_.erase(it);
}

void Hub::drop(const Sink* sink) {
  auto gone = [sink](const Subscriber& s) { return s.sink.expired() || s.sink.lock().get() == sink; };
  std::lock_guard lock(subs_mu_);
  for (auto it = streams_.begin(); it != streams_.end();) {
    std::erase_if(it->second, gone);
    it = it->second.empty() ? streams_.erase(it) : std::next(it);
  }
  for (auto it = users_.begin(); it != users_.end();) {
    user_subscriptions_ -= std::erase_if(it->second, gone);
    it = it->second.empty() ? users_.erase(it) : std::next(it);
  }
}

size_t Hub::subscribers() const {
  std::lock_guard lock(subs_mu_);
  size_t n = 0;
  for (const auto& [name, subs] : streams_) n += subs.size();
  for (const auto& [user, subs] : users_) n += subs.size();
  return n;
}

bool Hub::has_subscribers(const std::string& stream) const {
  std::lock_guard lock(subs_mu_);
  return streams_.contains(stream);
}

// ---- the engine's side: queue only ----

void Hub::on_market(trading::MarketEvents&& events) {
  {
    std::lock_guard lock(mu_);
    queue_.emplace_back(std::move(events));
  }
  cv_.notify_one();
}

void Hub::on_commit(const engine::Batch& batch) {
  if (user_subscriptions_.load() == 0) return;
  Balances b;
  b.time_ms = batch.now_ms();
  std::map<int64_t, std::set<std::string>> touched;
  {
    std::lock_guard lock(subs_mu_);
    for (const auto& e : batch.entries()) {
      for (const auto& p : e.postings) {
        const auto kind = p.account.kind;
        if (kind != ledger::AccountKind::kUserFree && kind != ledger::AccountKind::kUserLocked) continue;
        if (!users_.contains(p.account.owner)) continue;
        touched[p.account.owner].insert(p.asset);
        if (kind == ledger::AccountKind::kUserFree && is_balance_update(e.kind)) {
          b.deltas.push_back(Balances::Delta{p.account.owner, p.asset, p.amount});
        }
      }
    }
  }
  if (touched.empty()) return;
  const auto& ledger = batch.ledger();
  for (const auto& [user, assets] : touched) {
    auto& out = b.positions[user];
    for (const auto& asset : assets) {
      out.push_back(AssetBalance{asset, ledger.balance(ledger::AccountRef::user_free(user), asset),
                                 ledger.balance(ledger::AccountRef::user_locked(user), asset)});
    }
  }
  {
    std::lock_guard lock(mu_);
    queue_.emplace_back(std::move(b));
  }
  cv_.notify_one();
}

void Hub::send_to(const std::shared_ptr<Sink>& sink, std::string frame) {
  {
    std::lock_guard lock(mu_);
    queue_.emplace_back(Direct{sink, std::move(frame)});
  }
  cv_.notify_one();
}

void Hub::flush() {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    queue_.emplace_back(Barrier{done});
  }
  cv_.notify_one();
  future.wait();
}

// ---- the hub's thread ----

void Hub::run() {
  auto next_tick = std::chrono::steady_clock::now() + kTick;
  int ticks = 0;
  for (;;) {
    std::deque<Job> jobs;
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, next_tick, [this] { return stopping_ || !queue_.empty(); });
      jobs.swap(queue_);
      stopping = stopping_;
    }
    for (auto& job : jobs) {
      try {
        std::visit(
            [this](auto& j) {
              using T = std::decay_t<decltype(j)>;
              if constexpr (std::is_same_v<T, Barrier>) {
                j.done->set_value();
              } else {
                handle(j);
              }
            },
            job);
      } catch (const std::exception& e) {
        spdlog::error("event=stream_error error=\"{}\"", e.what());
      }
    }
    if (stopping) return;
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_tick) {
      ++ticks;
      try {
        tick(clock_.now_ms(), ticks % 10 == 0);
      } catch (const std::exception& e) {
        spdlog::error("event=stream_error error=\"{}\"", e.what());
      }
      next_tick = std::max(next_tick + kTick, now);
    }
  }
}

void Hub::handle(trading::MarketEvents& e) {
  const Market& m = *e.market;
  MarketState& st = states_[m.symbol];
  const std::string sym = lower(m.symbol);
  const int64_t now = clock_.now_ms();
  if (has_subscribers(sym + "@trade")) {
    for (const auto& t : e.trades) publish(sym + "@trade", trade_event(m, t, now));
  }
  // One command has one taker: its consecutive fills at one price are one aggregate trade.
  if (!e.trades.empty() && has_subscribers(sym + "@aggTrade")) {
    std::vector<trading::AggTrade> aggs;
    for (const auto& t : e.trades) {
      if (!aggs.empty() && aggs.back().price == t.price) {
        aggs.back().qty += t.qty;
        aggs.back().last_id = t.id;
        continue;
      }
      aggs.push_back(trading::AggTrade{t.id, t.price, t.qty, t.id, t.id, t.time_ms, t.buyer_maker});
    }
    for (const auto& a : aggs) publish(sym + "@aggTrade", agg_trade_event(m, a, now));
  }
  for (const auto& t : e.trades) apply_to_klines(m, st, t);
  if (!e.bids.empty() || !e.asks.empty()) {
    for (PendingDepth* p : {&st.depth_100, &st.depth_1000}) {
      if (p->first == 0) p->first = e.first_update_id;
      p->last = e.update_id;
      merge(p->bids, e.bids);
      merge(p->asks, e.asks);
    }
  }
  if (!(e.top == st.top)) {
    st.top = e.top;
    publish(sym + "@bookTicker", book_ticker_event(m, e.update_id, e.top));
  }
  for (const auto& u : e.updates) publish_user(u.order.user_id, execution_report(m, u, now));
}

void Hub::handle(const Balances& b) {
  const int64_t now = clock_.now_ms();
  for (const auto& d : b.deltas) publish_user(d.user_id, balance_update(d.asset, d.amount, b.time_ms, now));
  for (const auto& [user, balances] : b.positions) publish_user(user, account_position(balances, b.time_ms, now));
}

void Hub::handle(const Direct& d) {
  if (auto sink = d.sink.lock()) sink->push(std::make_shared<const std::string>(d.frame));
}

void Hub::apply_to_klines(const Market& m, MarketState& st, const trading::TradeTick& t) {
  for (auto& [name, ks] : st.klines) {
    trading::Kline& k = ks.k;
    if (!ks.seeded || t.id <= k.last_id || t.time_ms < k.open_time) continue;  // in the seed already
    const auto iv = *trading::parse_interval(name);
    if (t.time_ms > k.close_time) {
      // The trade opens a later kline: close this one first.
      publish(lower(m.symbol) + "@kline_" + name, kline_event(m, iv, k, true, clock_.now_ms()));
      const int64_t open = trading::kline_open(iv, t.time_ms);
      k = trading::Kline{open, trading::kline_next(iv, open) - 1, k.close, k.close, k.close, k.close};
    }
    if (k.count == 0) {
      k.open = k.high = k.low = t.price;
      k.first_id = t.id;
    }
    k.high = std::max(k.high, t.price);
    k.low = std::min(k.low, t.price);
    k.close = t.price;
    k.volume += t.qty;
    k.quote_volume += t.quote_qty;
    k.count += 1;
    if (!t.buyer_maker) {
      k.taker_buy_volume += t.qty;
      k.taker_buy_quote_volume += t.quote_qty;
    }
    k.last_id = t.id;
    ks.dirty = true;
  }
}

void Hub::roll_klines(const Market& m, MarketState& st, int64_t now_ms) {
  for (auto& [name, ks] : st.klines) {
    if (!ks.seeded) continue;
    trading::Kline& k = ks.k;
    const auto iv = *trading::parse_interval(name);
    const std::string stream = lower(m.symbol) + "@kline_" + name;
    if (now_ms > k.close_time) {
      publish(stream, kline_event(m, iv, k, true, now_ms));
      const int64_t open = trading::kline_open(iv, now_ms);
      k = trading::Kline{open, trading::kline_next(iv, open) - 1, k.close, k.close, k.close, k.close};
      ks.dirty = true;
    }
    if (ks.dirty) {
      publish(stream, kline_event(m, iv, k, false, now_ms));
      ks.dirty = false;
    }
  }
}

void Hub::tick(int64_t now_ms, bool second) {
  std::set<std::pair<std::string, std::string>> wanted;
  {
    std::lock_guard lock(subs_mu_);
    wanted = kline_wanted_;
  }
  for (const auto& [symbol, interval] : wanted) {
    auto& st = states_[symbol];
    if (st.klines.contains(interval)) continue;
    const Market* m = exchange_.find_market(symbol);
    const auto iv = trading::parse_interval(interval);
    if (!m || !iv) continue;
    KlineState ks;
    if (auto k = current_kline_(*m, *iv)) {
      ks.k = *k;
    } else {
      const int64_t open = trading::kline_open(*iv, now_ms);
      ks.k = trading::Kline{open, trading::kline_next(*iv, open) - 1};
    }
    ks.seeded = true;
    ks.dirty = true;
    st.klines.emplace(interval, ks);
  }
  for (auto& [symbol, st] : states_) {
    const Market* m = exchange_.find_market(symbol);
    if (!m) continue;
    const std::string sym = lower(symbol);
    auto flush_depth = [&](PendingDepth& p, std::initializer_list<std::string> names) {
      if (p.first == 0) return;
      const std::string payload = depth_event(*m, p.first, p.last, p.bids, p.asks, now_ms);
      for (const auto& name : names) publish(sym + name, payload);
      p = PendingDepth{};
    };
    flush_depth(st.depth_100, {"@depth@100ms"});
    if (!second) continue;
    flush_depth(st.depth_1000, {"@depth", "@depth@1000ms"});
    const bool full = has_subscribers(sym + "@ticker");
    const bool mini = has_subscribers(sym + "@miniTicker");
    if (full || mini) {
      const auto t = market_.ticker(symbol, now_ms);
      if (t && full) publish(sym + "@ticker", ticker_event(*m, *t, now_ms));
      if (t && mini) publish(sym + "@miniTicker", mini_ticker_event(*m, *t, now_ms));
    }
    roll_klines(*m, st, now_ms);
  }
  if (second) {
    for (auto& task : second_tasks_) task(now_ms);
  }
}

// ---- delivery ----

void Hub::publish(const std::string& stream, const std::string& payload) {
  std::lock_guard lock(subs_mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) return;
  deliver(it->second, payload, stream);
  if (it->second.empty()) streams_.erase(it);
}

void Hub::publish_user(int64_t user_id, const std::string& payload) {
  std::lock_guard lock(subs_mu_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return;
  const size_t before = it->second.size();
  deliver(it->second, payload, "");
  user_subscriptions_ -= before - it->second.size();
  if (it->second.empty()) users_.erase(it);
}

void Hub::deliver(std::vector<Subscriber>& subs, const std::string& payload, const std::string& stream) {
  std::shared_ptr<const std::string> raw;
  std::shared_ptr<const std::string> combined;
  std::string combined_name;
  std::erase_if(subs, [&](const Subscriber& s) {
    auto sink = s.sink.lock();
    if (!sink) return true;
    std::shared_ptr<const std::string> frame;
    switch (s.wrap.kind) {
      case Wrap::Kind::kRaw:
        if (!raw) raw = std::make_shared<const std::string>(payload);
        frame = raw;
        break;
      case Wrap::Kind::kCombined: {
        const std::string& name = s.wrap.stream.empty() ? stream : s.wrap.stream;
        if (!combined || combined_name != name) {
          combined = std::make_shared<const std::string>("{\"stream\":\"" + name + "\",\"data\":" + payload + "}");
          combined_name = name;
        }
        frame = combined;
        break;
      }
      case Wrap::Kind::kSubscription:
        frame = std::make_shared<const std::string>("{\"subscriptionId\":" + std::to_string(s.wrap.subscription_id) +
                                                    ",\"event\":" + payload + "}");
        break;
    }
    if (sink->push(std::move(frame))) return false;
    spdlog::info("event=stream_consumer_dropped stream=\"{}\"", stream.empty() ? s.wrap.stream : stream);
    return true;
  });
}

}  // namespace kg::streams
