#include "trading/history.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <unordered_map>

#include "common/decimal.hpp"

namespace kg::trading {

namespace {

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kMinuteMs = 60 * kSecondMs;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr size_t kPage = 1000;  // rows read per statement when grouping aggregate trades

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
int64_t floor_mod(int64_t a, int64_t b) {
  return a - floor_div(a, b) * b;
}

// Where each kline of an interval opens, in a time zone: fixed lengths from an aligned origin,
// or calendar months.
class Buckets {
 public:
  Buckets(const Interval& iv, int64_t tz_ms)
      : ms_(iv.ms), tz_(tz_ms), offset_(iv.ms > 0 ? floor_mod(iv.align - tz_ms, iv.ms) : 0) {}

  int64_t open_of(int64_t t) const {
    if (ms_ > 0) return floor_div(t - offset_, ms_) * ms_ + offset_;
    return month_start(local_month(t));
  }
  int64_t next(int64_t open) const {
    return ms_ > 0 ? open + ms_ : month_start(local_month(open) + std::chrono::months{1});
  }
  int64_t prev(int64_t open) const {
    return ms_ > 0 ? open - ms_ : month_start(local_month(open) - std::chrono::months{1});
  }
  // The buckets bucket_totals groups by: the interval itself, or days (folded into months).
  int64_t base_ms() const { return ms_ > 0 ? ms_ : kDayMs; }
  int64_t base_offset() const { return ms_ > 0 ? offset_ : floor_mod(-tz_, kDayMs); }

 private:
  std::chrono::year_month local_month(int64_t t) const {
    using namespace std::chrono;
    const auto day = floor<days>(sys_time<milliseconds>(milliseconds(t + tz_)));
    const year_month_day ymd{day};
    return ymd.year() / ymd.month();
  }
  int64_t month_start(std::chrono::year_month ym) const {
    using namespace std::chrono;
    const sys_days first{ym / 1};
    return duration_cast<milliseconds>(first.time_since_epoch()).count() - tz_;
  }

  int64_t ms_;
  int64_t tz_;
  int64_t offset_;
};

// One trades row as aggregate trades need it.
struct Raw {
  int64_t id = 0, price = 0, qty = 0, time_ms = 0, taker_order = 0;
  bool buyer_maker = false;
};
constexpr const char* kRawColumns =
    "SELECT trade_id, price, qty, created_at, buyer_maker, buyer_order_id, seller_order_id "
    "FROM trades WHERE symbol = ? ";

std::vector<Raw> raw_rows(const std::vector<store::Row>& rows) {
  std::vector<Raw> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    Raw x;
    x.id = r.int64(0);
    x.price = r.int64(1);
    x.qty = r.int64(2);
    x.time_ms = r.int64(3);
    x.buyer_maker = r.boolean(4);
    x.taker_order = x.buyer_maker ? r.int64(6) : r.int64(5);
    out.push_back(x);
  }
  return out;
}

bool same_aggregate(const Raw& a, const Raw& b) {
  return a.taker_order == b.taker_order && a.price == b.price;
}
AggTrade start_aggregate(const Raw& r) {
  return AggTrade{r.id, r.price, r.qty, r.id, r.id, r.time_ms, r.buyer_maker};
}
void extend(AggTrade& a, const Raw& r) {
  a.qty += r.qty;
  a.first_id = std::min(a.first_id, r.id);
  a.last_id = std::max(a.last_id, r.id);
  a.id = a.first_id;
}

// Ascending rows into whole aggregates: pages of `fetch(after_id)` until `limit` aggregates are
// known to be complete or the rows run out. Leading rows that continue `before`'s aggregate (one
// that began before the first row) are not an aggregate of their own and are skipped.
template <typename Fetch>
std::vector<AggTrade> group_ascending(Fetch fetch, int64_t after_id, size_t limit,
                                      const std::optional<Raw>& before) {
  std::vector<AggTrade> out;
  // A plain value and a flag rather than std::optional: GCC 12 warns falsely on the latter here.
  Raw last = before.value_or(Raw{});
  bool have_last = before.has_value();
  bool leading = have_last;
  for (;;) {
    auto rows = fetch(after_id);
    for (const Raw& r : rows) {
      after_id = r.id;
      const bool continues = have_last && same_aggregate(last, r);
      last = r;
      have_last = true;
      if (leading && continues) continue;
      leading = false;
      if (continues && !out.empty()) {
        extend(out.back(), r);
        continue;
      }
      if (out.size() == limit) return out;
      out.push_back(start_aggregate(r));
    }
    if (rows.size() < kPage) return out;
  }
}

// Descending rows into the newest `limit` whole aggregates, returned oldest first.
template <typename Fetch>
std::vector<AggTrade> group_descending(Fetch fetch, size_t limit) {
  std::vector<AggTrade> out;
  Raw last;
  bool have_last = false;
  int64_t before_id = std::numeric_limits<int64_t>::max();
  for (;;) {
    auto rows = fetch(before_id);
    bool full = false;
    for (const Raw& r : rows) {
      before_id = r.id;
      const bool continues = have_last && same_aggregate(last, r);
      last = r;
      have_last = true;
      if (continues) {
        extend(out.back(), r);
        continue;
      }
      if (out.size() == limit) {
        full = true;
        break;
      }
      out.push_back(start_aggregate(r));
    }
    if (full || rows.size() < kPage) break;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

TradeTick tick_of(const store::Row& r) {
  return TradeTick{r.int64(0), r.int64(1), r.int64(2), r.int64(3), r.int64(4), r.boolean(5)};
}

}  // namespace

std::optional<Interval> parse_interval(std::string_view name) {
  static constexpr std::array<Interval, 16> kAll{{
      {"1s", kSecondMs, 0},       {"1m", kMinuteMs, 0},       {"3m", 3 * kMinuteMs, 0},
      {"5m", 5 * kMinuteMs, 0},   {"15m", 15 * kMinuteMs, 0}, {"30m", 30 * kMinuteMs, 0},
      {"1h", kHourMs, 0},         {"2h", 2 * kHourMs, 0},     {"4h", 4 * kHourMs, 0},
      {"6h", 6 * kHourMs, 0},     {"8h", 8 * kHourMs, 0},     {"12h", 12 * kHourMs, 0},
      {"1d", kDayMs, 0},          {"3d", 3 * kDayMs, 0},
      {"1w", 7 * kDayMs, 4 * kDayMs},  // 1970-01-05 was the first Monday
      {"1M", 0, 0},
  }};
  for (const auto& iv : kAll) {
    if (iv.name == name) return iv;
  }
  return std::nullopt;
}

int64_t kline_open(const Interval& interval, int64_t t) {
  return Buckets(interval, 0).open_of(t);
}
int64_t kline_next(const Interval& interval, int64_t open) {
  return Buckets(interval, 0).next(open);
}

std::optional<int64_t> parse_time_zone(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int sign = 1;
  if (text[0] == '+' || text[0] == '-') {
    sign = text[0] == '-' ? -1 : 1;
    text.remove_prefix(1);
  }
  const size_t colon = text.find(':');
  auto hours = parse_decimal(text.substr(0, colon), 0);
  std::optional<int64_t> minutes = int64_t{0};
  if (colon != std::string_view::npos) {
    const auto mm = text.substr(colon + 1);
    minutes = mm.size() == 2 ? parse_decimal(mm, 0) : std::nullopt;
  }
  if (!hours || !minutes || *hours < 0 || *minutes < 0 || *minutes >= 60) return std::nullopt;
  const int64_t total = sign * (*hours * 60 + *minutes);
  if (total < -12 * 60 || total > 14 * 60) return std::nullopt;
  return total * kMinuteMs;
}

std::vector<BucketTotals> bucket_totals(store::Db& db, const std::string& symbol, int64_t from_ms,
                                        int64_t to_ms, int64_t bucket_ms, int64_t offset_ms) {
  const std::string where = " FROM trades WHERE symbol = ? AND created_at >= ? AND created_at < ?";
  auto rows = db.query(
      "SELECT (created_at - ?) / ?, MIN(trade_id), MAX(trade_id), MAX(price), MIN(price), SUM(qty), "
      "SUM(quote_qty), COUNT(*), SUM(CASE WHEN buyer_maker = 0 THEN qty ELSE 0 END), "
      "SUM(CASE WHEN buyer_maker = 0 THEN quote_qty ELSE 0 END)" +
          where + " GROUP BY 1 ORDER BY 1",
      {offset_ms, bucket_ms, symbol, from_ms, to_ms});
  if (rows.empty()) return {};
  // The first and last trade of each bucket give its open and close.
  std::unordered_map<int64_t, int64_t> price_of;
  const std::string ends = "SELECT MIN(trade_id)" + where + " GROUP BY (created_at - ?) / ?";
  for (const auto& r : db.query("SELECT trade_id, price FROM trades WHERE trade_id IN (" + ends +
                                    " UNION ALL " +
                                    std::string(ends).replace(7, 3, "MAX") + ")",
                                {symbol, from_ms, to_ms, offset_ms, bucket_ms, symbol, from_ms,
                                 to_ms, offset_ms, bucket_ms})) {
    price_of[r.int64(0)] = r.int64(1);
  }
  std::vector<BucketTotals> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    BucketTotals b;
    b.start_ms = r.int64(0) * bucket_ms + offset_ms;
    b.first_id = r.int64(1);
    b.last_id = r.int64(2);
    b.high = r.int64(3);
    b.low = r.int64(4);
    b.volume = r.int64(5);
    b.quote_volume = r.int64(6);
    b.count = r.int64(7);
    b.taker_buy_volume = r.int64(8);
    b.taker_buy_quote_volume = r.int64(9);
    b.open = price_of.at(b.first_id);
    b.close = price_of.at(b.last_id);
    out.push_back(b);
  }
  return out;
}

int64_t price_before(store::Db& db, const std::string& symbol, int64_t time_ms) {
  auto row = db.query_one(
      "SELECT price FROM trades WHERE symbol = ? AND created_at < ? "
      "ORDER BY created_at DESC, trade_id DESC LIMIT 1",
      {symbol, time_ms});
  return row ? row->int64(0) : 0;
}

std::vector<Kline> klines(store::Db& db, const KlineQuery& q) {
  auto first = db.query_one("SELECT MIN(created_at) FROM trades WHERE symbol = ?", {q.symbol});
  if (!first || first->is_null(0)) return {};
  const Buckets b(q.interval, q.tz_offset_ms);
  const int64_t lo = b.open_of(first->int64(0));
  const int64_t hi = b.open_of(q.end_ms ? std::min(*q.end_ms, q.now_ms) : q.now_ms);
  std::vector<int64_t> opens;
  if (q.start_ms) {
    int64_t open = b.open_of(*q.start_ms);
    if (open < *q.start_ms) open = b.next(open);
    for (open = std::max(open, lo); open <= hi && opens.size() < q.limit; open = b.next(open))
      opens.push_back(open);
  } else {
    for (int64_t open = hi; open >= lo && opens.size() < q.limit; open = b.prev(open))
      opens.push_back(open);
    std::reverse(opens.begin(), opens.end());
  }
  if (opens.empty()) return {};

  const int64_t from = opens.front();
  const auto totals =
      bucket_totals(db, q.symbol, from, b.next(opens.back()), b.base_ms(), b.base_offset());
  int64_t last = price_before(db, q.symbol, from);
  std::vector<Kline> out;
  out.reserve(opens.size());
  size_t t = 0;
  for (int64_t open : opens) {
    const int64_t end = b.next(open);
    Kline k{open, end - 1, last, last, last, last};
    for (; t < totals.size() && totals[t].start_ms < end; ++t) {
      const BucketTotals& x = totals[t];
      if (k.count == 0) {
        k.open = x.open;
        k.high = x.high;
        k.low = x.low;
      } else {
        k.high = std::max(k.high, x.high);
        k.low = std::min(k.low, x.low);
      }
      k.close = x.close;
      k.volume += x.volume;
      k.quote_volume += x.quote_volume;
      k.count += x.count;
      k.taker_buy_volume += x.taker_buy_volume;
      k.taker_buy_quote_volume += x.taker_buy_quote_volume;
      if (k.first_id < 0) k.first_id = x.first_id;
      k.last_id = x.last_id;
    }
    last = k.close;
    out.push_back(k);
  }
  return out;
}

std::vector<AggTrade> agg_trades(store::Db& db, const AggQuery& q) {
  const int64_t page = static_cast<int64_t>(kPage);
  if (q.from_id) {
    std::optional<Raw> before;
    auto prev = raw_rows(db.query(std::string(kRawColumns) +
                                      "AND trade_id < ? ORDER BY trade_id DESC LIMIT 1",
                                  {q.symbol, *q.from_id}));
    if (!prev.empty()) before = prev.front();
    auto fetch = [&](int64_t after) {
      return raw_rows(db.query(
          std::string(kRawColumns) + "AND trade_id > ? ORDER BY trade_id LIMIT ?",
          {q.symbol, after, page}));
    };
    return group_ascending(fetch, *q.from_id - 1, q.limit, before);
  }
  if (q.start_ms) {
    const int64_t end = q.end_ms.value_or(std::numeric_limits<int64_t>::max());
    auto fetch = [&](int64_t after) {
      return raw_rows(db.query(std::string(kRawColumns) +
                                   "AND created_at >= ? AND created_at <= ? AND trade_id > ? "
                                   "ORDER BY trade_id LIMIT ?",
                               {q.symbol, *q.start_ms, end, after, page}));
    };
    return group_ascending(fetch, 0, q.limit, std::nullopt);
  }
  const int64_t end = q.end_ms.value_or(std::numeric_limits<int64_t>::max());
  auto fetch = [&](int64_t before) {
    return raw_rows(db.query(std::string(kRawColumns) +
                                 "AND created_at <= ? AND trade_id < ? ORDER BY trade_id DESC LIMIT ?",
                             {q.symbol, end, before, page}));
  };
  return group_descending(fetch, q.limit);
}

std::vector<TradeTick> trades_from(store::Db& db, const std::string& symbol,
                                   std::optional<int64_t> from_id, size_t limit) {
  constexpr const char* kColumns =
      "SELECT trade_id, price, qty, quote_qty, created_at, buyer_maker FROM trades WHERE symbol = ? ";
  const int64_t n = static_cast<int64_t>(limit);
  std::vector<TradeTick> out;
  if (from_id) {
    for (const auto& r : db.query(std::string(kColumns) + "AND trade_id >= ? ORDER BY trade_id LIMIT ?",
                                  {symbol, *from_id, n}))
      out.push_back(tick_of(r));
    return out;
  }
  for (const auto& r :
       db.query(std::string(kColumns) + "ORDER BY trade_id DESC LIMIT ?", {symbol, n}))
    out.push_back(tick_of(r));
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace kg::trading
