#pragma once
// The stream hub: committed events in, frames out to every subscriber. Trading's MarketEvents and
// the engine's committed batches arrive on the engine thread and are only queued there; the hub's
// own thread formats each event once, wraps it for each kind of subscriber and hands the frame to
// each subscriber's Sink, which must not block. A sink that refuses a frame (its connection's queue
// is full: a slow consumer) is dropped from every stream, so no client can make the hub or the
// engine wait or grow memory. The same thread batches depth diffs (every 100 ms or 1 s), and sends
// the tickers (every second) and klines (every second while they change, and when one closes).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "common/market.hpp"
#include "engine/engine.hpp"
#include "streams/format.hpp"
#include "streams/names.hpp"
#include "trading/events.hpp"
#include "trading/market_data.hpp"

namespace kg::streams {

// Where a subscriber's frames go: a WebSocket connection's outbox. Both calls are thread-safe
// and never block.
class Sink {
 public:
  virtual ~Sink() = default;
  // Queues one text frame. False when it cannot take it (its queue is full: the connection is
  // then closing; or it is closed already): the hub forgets the sink.
  virtual bool push(std::shared_ptr<const std::string> frame) = 0;
  // Closes the connection once what is queued has been sent.
  virtual void close() = 0;
};

// How a subscriber wants its frames: as they are (/ws/<stream>), as {"stream":…,"data":…}
// (/stream?streams=…), or as {"subscriptionId":n,"event":…} (the WebSocket API).
struct Wrap {
  enum class Kind { kRaw, kCombined, kSubscription } kind = Kind::kRaw;
  std::string stream;           // kCombined: the name the client used
  int64_t subscription_id = 0;  // kSubscription
};

class Hub : public trading::MarketListener {
 public:
  // current_kline: the kline of a market that holds now, as the store has it (the hub asks once
  // per market and interval, when the first client subscribes, and then follows the trades).
  using KlineSource = std::function<std::optional<trading::Kline>(const Market&, const trading::Interval&)>;

  Hub(const ExchangeSpec& exchange, const trading::MarketData& market, const Clock& clock, KlineSource current_kline);
  ~Hub() override;
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  void start();
  void stop();

  // Market streams by Binance's name; false for a name that is not a stream of a configured market.
  bool subscribe(const std::string& name, const std::shared_ptr<Sink>& sink, Wrap wrap);
  void unsubscribe(const std::string& name, const Sink* sink);
  // A user's account events (executionReport, outboundAccountPosition, balanceUpdate).
  void subscribe_user(int64_t user_id, const std::shared_ptr<Sink>& sink, Wrap wrap);
  void unsubscribe_user(int64_t user_id, const Sink* sink);
  // Sends one frame to one sink, in order with its stream frames (listenKeyExpired).
  void send_to(const std::shared_ptr<Sink>& sink, std::string frame);
  // Forgets the sink everywhere (its connection closed).
  void drop(const Sink* sink);

  // Engine thread: queue only.
  void on_market(trading::MarketEvents&& events) override;
  void on_commit(const engine::Batch& batch);

  // Runs `task` on the hub's thread once a second (the listen keys' sweeper). Before start().
  void every_second(std::function<void(int64_t now_ms)> task) { second_tasks_.push_back(std::move(task)); }

  // Tests: returns once everything queued before the call has been delivered.
  void flush();
  size_t subscribers() const;

 private:
  struct Subscriber {
    std::weak_ptr<Sink> sink;
    Wrap wrap;
  };
  struct Balances {
    int64_t time_ms = 0;
    std::map<int64_t, std::vector<AssetBalance>> positions;  // user -> touched assets, as now
    struct Delta {
      int64_t user_id;
      std::string asset;
      int64_t amount;
    };
    std::vector<Delta> deltas;  // balanceUpdate: deposits, withdrawals, transfers
  };
  struct Direct {
    std::weak_ptr<Sink> sink;
    std::string frame;
  };
  struct Barrier {
    std::shared_ptr<std::promise<void>> done;
  };
  using Job = std::variant<trading::MarketEvents, Balances, Direct, Barrier>;

  struct PendingDepth {
    int64_t first = 0, last = 0;
    std::map<int64_t, int64_t> bids, asks;
  };
  struct KlineState {
    trading::Kline k;
    bool seeded = false;
    bool dirty = false;
  };
  struct MarketState {
    PendingDepth depth_100, depth_1000;
    trading::BookTop top;
    std::map<std::string, KlineState> klines;  // by interval name
  };

  void run();
  void handle(trading::MarketEvents& e);
  void handle(const Balances& b);
  void handle(const Direct& d);
  void tick(int64_t now_ms, bool second);
  void apply_to_klines(const Market& m, MarketState& state, const trading::TradeTick& t);
  void roll_klines(const Market& m, MarketState& state, int64_t now_ms);
  // Delivers one payload to a stream's subscribers (wrapping it for each); drops refusing sinks.
  void publish(const std::string& stream, const std::string& payload);
  void publish_user(int64_t user_id, const std::string& payload);
  void deliver(std::vector<Subscriber>& subs, const std::string& payload, const std::string& stream);
  bool has_subscribers(const std::string& stream) const;

  const ExchangeSpec& exchange_;
  const trading::MarketData& market_;
  const Clock& clock_;
  KlineSource current_kline_;
  std::vector<std::function<void(int64_t)>> second_tasks_;
  std::map<std::string, MarketState> states_;  // hub thread only

  mutable std::mutex subs_mu_;
  std::unordered_map<std::string, std::vector<Subscriber>> streams_;
  std::unordered_map<int64_t, std::vector<Subscriber>> users_;
  std::set<std::pair<std::string, std::string>> kline_wanted_;  // (symbol, interval) with subscribers
  std::atomic<size_t> user_subscriptions_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kg::streams
