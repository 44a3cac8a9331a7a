// The matching engine alone, one thread: nanoseconds per operation for three phases on a fresh
// book: add (N passive LIMIT orders over 100 price levels a side, none crossing, into an empty
// book: its storage grows as it goes), cancel (all N, in random order), re-add (the same N again,
// into the book's grown storage), match (N LIMIT IOC takers that cross, ~1.5 fills each; the
// figure is per taker). Each round runs OrderBook and the references on the same orders, one
// after the other; the figures are medians over the rounds, and a ratio is reference / OrderBook.
//
// Two references. TextbookBook, below, is the speed reference: the book as first written with the
// standard library (a std::map of price levels, each a std::list of orders, a std::unordered_map
// from id to its place), for just what this workload sends (LIMIT GTC and IOC, no self-trade
// prevention), making the same events with the same constructors; its events are checked equal
// to OrderBook's before anything is timed. ReferenceBook (src/matching) is the tests' obviously
// correct book, O(n) per operation, so the shared workload is small; a last part runs OrderBook
// and TextbookBook alone on a large one.
//
//   build/bench/kg_bench_matching [rounds=7] [orders=10000] [large_orders=1000000]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <list>
#include <map>
#include <random>
#include <unordered_map>
#include <vector>

#include "matching/make_event.hpp"
#include "matching/order_book.hpp"
#include "matching/reference_book.hpp"

using namespace kg::matching;
using Clock_ = std::chrono::steady_clock;

namespace {

constexpr int64_t kMid = 65'000 * kOne;
constexpr int64_t kTick = kOne / 100;
constexpr int64_t kStep = 100'000;  // 0.001
constexpr int64_t kLevels = 100;

// The speed reference (see the top): price-time priority with standard containers, LIMIT GTC and
// IOC without self-trade prevention only, the same events as OrderBook for those.
class TextbookBook {
 public:
  explicit TextbookBook(int64_t /*step*/) {}

  void add(const Order& o, Events& out) {
    out.push_back(accepted_event(o));
    const int64_t left =
        o.side == Side::kBuy ? take(o, o.quantity, asks_, out) : take(o, o.quantity, bids_, out);
    if (left == 0) {
      out.push_back(done_event(o, Reason::kFilled, 0, 0));
    } else if (o.tif != TimeInForce::kGtc) {
      out.push_back(done_event(o, Reason::kIocRemainder, left, 0));
    } else if (o.side == Side::kBuy) {
      rest(o, left, bids_, out);
    } else {
      rest(o, left, asks_, out);
    }
  }

  bool cancel(int64_t id, Events& out) {
    auto w = index_.find(id);
    if (w == index_.end()) return false;
    out.push_back(done_event(w->second.it->order, Reason::kCanceled, w->second.it->remaining, 0));
    if (w->second.side == Side::kBuy) {
      unlink(bids_, w->second);
    } else {
      unlink(asks_, w->second);
    }
    index_.erase(w);
    return true;
  }

  size_t size() const { return index_.size(); }

 private:
  struct Resting {
    Order order;
    int64_t remaining;
  };
  using Queue = std::list<Resting>;  // one price level, oldest first
  struct Where {
    Side side;
    int64_t price;
    Queue::iterator it;
  };

  // Takes from the best levels of `makers` while they cross; returns what is left of the order.
  template <typename Levels>
  int64_t take(const Order& o, int64_t left, Levels& makers, Events& out) {
    while (left > 0 && !makers.empty()) {
      auto level = makers.begin();
      if (o.side == Side::kBuy ? level->first > o.price : level->first < o.price) break;
      Resting& m = level->second.front();
      const int64_t q = std::min(left, m.remaining);
      out.push_back(trade_event(o, m.order, level->first, q));
      left -= q;
      m.remaining -= q;
      if (m.remaining == 0) {
        out.push_back(done_event(m.order, Reason::kFilled, 0, 0));
        index_.erase(m.order.id);
        level->second.pop_front();
        if (level->second.empty()) makers.erase(level);
      }
    }
    return left;
  }

  template <typename Levels>
  void rest(const Order& o, int64_t left, Levels& levels, Events& out) {
    Queue& q = levels[o.price];
    q.push_back(Resting{o, left});
    index_.emplace(o.id, Where{o.side, o.price, std::prev(q.end())});
    out.push_back(rested_event(o, left));
  }

  template <typename Levels>
  void unlink(Levels& levels, const Where& w) {
    auto level = levels.find(w.price);
    level->second.erase(w.it);
    if (level->second.empty()) levels.erase(level);
  }

  std::map<int64_t, Queue, std::greater<>> bids_;  // best (highest) first
  std::map<int64_t, Queue, std::less<>> asks_;     // best (lowest) first
  std::unordered_map<int64_t, Where> index_;
};

struct Workload {
  std::vector<Order> passive;    // ids 1..n
  std::vector<int64_t> cancels;  // a permutation of 1..n
  std::vector<Order> takers;     // ids n+1..2n
};

Workload make_workload(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
  };
  Workload w;
  for (size_t i = 0; i < n; ++i) {
    Order o;
    o.id = static_cast<int64_t>(i) + 1;
    o.owner = pick(1, 1000);
    o.side = pick(0, 1) == 0 ? Side::kBuy : Side::kSell;
    const int64_t away = pick(1, kLevels) * kTick;
    o.price = o.side == Side::kBuy ? kMid - away : kMid + away;
    o.quantity = pick(1, 10) * kStep;
    w.passive.push_back(o);
    w.cancels.push_back(o.id);
  }
  std::shuffle(w.cancels.begin(), w.cancels.end(), rng);
  for (size_t i = 0; i < n; ++i) {
    Order o;
    o.id = static_cast<int64_t>(n + i) + 1;
    o.owner = pick(1, 1000);
    o.side = pick(0, 1) == 0 ? Side::kBuy : Side::kSell;
    o.tif = TimeInForce::kIoc;
    o.price = o.side == Side::kBuy ? kMid + kLevels * kTick : kMid - kLevels * kTick;
    o.quantity = pick(1, 6) * kStep;
    w.takers.push_back(o);
  }
  return w;
}

struct Figures {
  double add_ns, cancel_ns, readd_ns, match_ns, fills_per_taker;
};

double ns_per(Clock_::duration d, size_t n) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) /
         static_cast<double>(n);
}

size_t g_sink = 0;  // keeps the work observable

template <typename Book>
Figures run(const Workload& w) {
  Book book(kStep);
  Events out;
  out.reserve(64);
  const auto t0 = Clock_::now();
  for (const Order& o : w.passive) {
    out.clear();
    book.add(o, out);
  }
  const auto t1 = Clock_::now();
  for (int64_t id : w.cancels) {
    out.clear();
    book.cancel(id, out);
  }
  const auto t2 = Clock_::now();
  for (const Order& o : w.passive) {
    out.clear();
    book.add(o, out);
  }
  size_t fills = 0;
  const auto t3 = Clock_::now();
  for (const Order& o : w.takers) {
    out.clear();
    book.add(o, out);
    for (const Event& e : out) fills += e.type == EventType::kTrade;
  }
  const auto t4 = Clock_::now();
  g_sink += fills + book.size();
  const size_t n = w.passive.size();
  return {ns_per(t1 - t0, n), ns_per(t2 - t1, n), ns_per(t3 - t2, n), ns_per(t4 - t3, n),
          static_cast<double>(fills) / static_cast<double>(n)};
}

// Every event of the three phases, as run() makes them, into one stream.
template <typename Book>
Events all_events(const Workload& w) {
  Book book(kStep);
  Events all;
  for (const Order& o : w.passive) book.add(o, all);
  for (int64_t id : w.cancels) book.cancel(id, all);
  for (const Order& o : w.passive) book.add(o, all);
  for (const Order& o : w.takers) book.add(o, all);
  return all;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Medians {
  std::vector<double> add, cancel, readd, match, fills;
  void push(const Figures& f) {
    add.push_back(f.add_ns);
    cancel.push_back(f.cancel_ns);
    readd.push_back(f.readd_ns);
    match.push_back(f.match_ns);
    fills.push_back(f.fills_per_taker);
  }
};

// ref <= 0: no ReferenceBook column.
void line(const char* name, double fast, double text, double ref) {
  std::printf("  %-8s %8.1f ns (%6.2f M/s)   %8.1f ns (%5.2f M/s)  %5.2fx", name, fast, 1e3 / fast,
              text, 1e3 / text, text / fast);
  if (ref > 0) std::printf("   %10.1f ns  %6.1fx", ref, ref / fast);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  const size_t orders = argc > 2 ? static_cast<size_t>(std::atol(argv[2])) : 10'000;
  const size_t large = argc > 3 ? static_cast<size_t>(std::atol(argv[3])) : 1'000'000;

  const Workload w = make_workload(orders, 1);
  if (all_events<OrderBook>(w) != all_events<TextbookBook>(w) ||
      all_events<OrderBook>(w) != all_events<ReferenceBook>(w)) {
    std::fprintf(stderr, "matching bench: the books' events differ on the workload\n");
    return 1;
  }
  Medians fast, text, ref;
  for (int r = 0; r < rounds; ++r) {
    fast.push(run<OrderBook>(w));
    text.push(run<TextbookBook>(w));
    ref.push(run<ReferenceBook>(w));
  }
  std::printf(
      "matching: %zu orders over %lld levels a side, median of %d rounds, ns per operation "
      "(events checked equal)\n",
      orders, static_cast<long long>(kLevels), rounds);
  std::printf("  %-8s %25s   %24s  %6s   %13s  %7s\n", "", "OrderBook", "TextbookBook", "ratio",
              "ReferenceBook", "ratio");
  line("add", median(fast.add), median(text.add), median(ref.add));
  line("cancel", median(fast.cancel), median(text.cancel), median(ref.cancel));
  line("re-add", median(fast.readd), median(text.readd), median(ref.readd));
  line("match", median(fast.match), median(text.match), median(ref.match));
  std::printf("  (match: one crossing LIMIT IOC taker, %.2f fills each)\n", median(fast.fills));

  if (large > 0) {
    const Workload big = make_workload(large, 2);
    Medians f, t;
    for (int r = 0; r < rounds; ++r) {
      f.push(run<OrderBook>(big));
      t.push(run<TextbookBook>(big));
    }
    std::printf("%zu orders, OrderBook and TextbookBook only, median of %d rounds:\n", large,
                rounds);
    line("add", median(f.add), median(t.add), 0);
    line("cancel", median(f.cancel), median(t.cancel), 0);
    line("re-add", median(f.readd), median(t.readd), 0);
    line("match", median(f.match), median(t.match), 0);
    std::printf("  (match: %.2f fills each)\n", median(f.fills));
  }
  return g_sink == 0 ? 1 : 0;
}
