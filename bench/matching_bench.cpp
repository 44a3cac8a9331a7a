// The matching engine alone, one thread: nanoseconds per operation for three phases on a fresh
// book: add (N passive LIMIT orders over 100 price levels a side, none crossing), cancel (all N,
// in random order), match (N passive again, then N LIMIT IOC takers that cross, ~1.5 fills each;
// the figure is per taker). Each round runs OrderBook and ReferenceBook on the same orders, one
// after the other; the figures are medians over the rounds, and the ratio is reference / fast.
// The reference is O(n) per operation, so the shared workload is small; a last line runs the
// fast book alone on a large one.
//
//   build/bench/kg_bench_matching [rounds=7] [orders=10000] [large_orders=1000000]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "matching/order_book.hpp"
#include "matching/reference_book.hpp"

using namespace kg::matching;
using Clock_ = std::chrono::steady_clock;

namespace {

constexpr int64_t kMid = 65'000 * kOne;
constexpr int64_t kTick = kOne / 100;
constexpr int64_t kStep = 100'000;  // 0.001
constexpr int64_t kLevels = 100;

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
  double add_ns, cancel_ns, match_ns, fills_per_taker;
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
  return {ns_per(t1 - t0, n), ns_per(t2 - t1, n), ns_per(t4 - t3, n),
          static_cast<double>(fills) / static_cast<double>(n)};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Medians {
  std::vector<double> add, cancel, match, fills;
  void push(const Figures& f) {
    add.push_back(f.add_ns);
    cancel.push_back(f.cancel_ns);
    match.push_back(f.match_ns);
    fills.push_back(f.fills_per_taker);
  }
};

void line(const char* name, double fast, double ref) {
  std::printf("  %-8s %9.1f ns  (%6.2f M/s)   %11.1f ns   %7.1fx\n", name, fast, 1e3 / fast, ref,
              ref / fast);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  const size_t orders = argc > 2 ? static_cast<size_t>(std::atol(argv[2])) : 10'000;
  const size_t large = argc > 3 ? static_cast<size_t>(std::atol(argv[3])) : 1'000'000;

  const Workload w = make_workload(orders, 1);
  Medians fast, ref;
  for (int r = 0; r < rounds; ++r) {
    fast.push(run<OrderBook>(w));
    ref.push(run<ReferenceBook>(w));
  }
  std::printf(
      "matching: %zu orders over %lld levels a side, median of %d rounds, ns per operation\n",
      orders, static_cast<long long>(kLevels), rounds);
  std::printf("  %-8s %25s   %14s   %8s\n", "", "OrderBook", "ReferenceBook", "ratio");
  line("add", median(fast.add), median(ref.add));
  line("cancel", median(fast.cancel), median(ref.cancel));
  line("match", median(fast.match), median(ref.match));
  std::printf("  (match: one crossing LIMIT IOC taker, %.2f fills each)\n", median(fast.fills));

  if (large > 0) {
    const Workload big = make_workload(large, 2);
    Medians f;
    for (int r = 0; r < rounds; ++r) f.push(run<OrderBook>(big));
    std::printf(
        "OrderBook alone, %zu orders: add %.1f ns (%.2f M/s), cancel %.1f ns (%.2f M/s), "
        "match %.1f ns (%.2f M/s, %.2f fills each)\n",
        large, median(f.add), 1e3 / median(f.add), median(f.cancel), 1e3 / median(f.cancel),
        median(f.match), 1e3 / median(f.match), median(f.fills));
  }
  return g_sink == 0 ? 1 : 0;
}
