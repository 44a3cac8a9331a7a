#include "wallet/convert.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "common/decimal.hpp"
#include "crypto/random.hpp"
#include "ledger/entries.hpp"

namespace kg::wallet {

namespace {

__extension__ using Int128 = __int128;

constexpr int64_t kBpsDenominator = 10'000;
// A sweep of every user's expired quotes after this many new quotes, so that quotes of users who
// never come back do not stay in memory.
constexpr size_t kSweepEvery = 1024;

Int128 ceil_div(Int128 a, Int128 b) {
  return (a + b - 1) / b;
}  // a >= 0, b > 0

constexpr const char* kOrderColumns =
    "order_id, quote_id, user_id, from_asset, from_amount, to_asset, to_amount, ratio, "
    "inverse_ratio, created_at";

ConvertOrder order_from_row(const store::Row& r) {
  ConvertOrder o;
  o.order_id = r.int64(0);
  o.quote_id = r.text(1);
  o.user_id = r.int64(2);
  o.from_asset = r.text(3);
  o.pricing.from_amount = r.int64(4);
  o.to_asset = r.text(5);
  o.pricing.to_amount = r.int64(6);
  o.pricing.ratio = r.int64(7);
  o.pricing.inverse_ratio = r.int64(8);
  o.created_ms = r.int64(9);
  return o;
}

}  // namespace

Convert::Convert(engine::Engine& engine, store::Store& store, const ExchangeSpec& exchange,
                 const ConvertConfig& config, const Clock& clock)
    : engine_(engine), store_(store), exchange_(exchange), config_(config), clock_(clock) {
  // A price for a market that does not exist is a typo in the configuration: say so at start.
  for (const auto& [symbol, unused] : config_.reference_prices) {
    if (!exchange_.find_market(symbol)) {
      throw std::runtime_error("setting convert.reference_prices." + symbol + ": no market " +
                               symbol);
    }
  }
  for (const auto& [asset, unused] : config_.max_amounts) {
    if (!exchange_.find_asset(asset)) {
      throw std::runtime_error("setting convert.max_amounts." + asset + ": no asset " + asset);
    }
  }
  if (config_.spread_bps < 0 || config_.spread_bps >= kBpsDenominator ||
      config_.max_open_quotes < 1 || config_.max_quote_valid_ms < 1) {
    throw std::runtime_error(
        "convert settings: spread_bps must be in [0, 10000), max_open_quotes and "
        "max_quote_valid_ms positive");
  }
}

void Convert::load() {
  store_.tx([&](store::Db& db) {
    for (const auto& r : db.query("SELECT quote_id, user_id FROM converts")) {
      accepted_.emplace(r.text(0), r.int64(1));
    }
    // The journal is the record of desk fundings: its reference is the idempotency key.
    for (const auto& r : db.query(
             "SELECT e.id, e.reference, p.asset, p.amount FROM journal_entries e "
             "JOIN journal_postings p ON p.entry_id = e.id WHERE e.kind = ? AND p.account_kind = ?",
             {std::string(ledger::kKindDeskFund),
              static_cast<int64_t>(ledger::AccountKind::kConvertDesk)})) {
      fundings_.emplace(r.text(1),
                        DeskFunding{r.int64(0), r.text(2), r.int64(3), r.text(1), false});
    }
  });
}

namespace {
// The average price of taking `amount` from `levels` (best first): `amount` is quote when
// `in_quote`, else base. Rounded against the user (up for a buyer, down for a seller). nullopt
// when the levels do not hold the whole amount: the book is not deep enough to price it.
std::optional<Int128> average_price(const std::vector<BookLevel>& levels, int64_t amount, bool in_quote,
                                    bool buyer) {
  const Int128 one = pow10(kAmountScale);
  Int128 left = amount, base = 0, quote = 0;
  for (const auto& l : levels) {
    if (left <= 0) break;
    if (l.price <= 0 || l.quantity <= 0) continue;
    const Int128 level_quote = Int128{l.price} * l.quantity / one;
    if (in_quote) {
      const Int128 spend = std::min(left, level_quote);
      base += spend == level_quote ? Int128{l.quantity} : spend * one / l.price;
      quote += spend;
      left -= spend;
    } else {
      const Int128 take = std::min(left, Int128{l.quantity});
      base += take;
      quote += Int128{l.price} * take / one;
      left -= take;
    }
  }
  if (left > 0 || base <= 0 || quote <= 0) return std::nullopt;
  return buyer ? ceil_div(quote * one, base) : quote * one / base;
}
}  // namespace

Result<Pricing> Convert::price(const std::string& from_asset, const std::string& to_asset,
                               int64_t from_amount, int64_t to_amount) const {
  if (!exchange_.find_asset(from_asset)) return make_error(err::kUnknownAsset, from_asset);
  if (!exchange_.find_asset(to_asset)) return make_error(err::kUnknownAsset, to_asset);
  if ((from_amount > 0) == (to_amount > 0) || from_amount < 0 || to_amount < 0) {
    return make_error(err::kBadParamCombination);
  }
  // The user buys the base of a market (pays its quote asset) or sells it (receives the quote).
  const Market* market = nullptr;
  bool buys_base = false;
  for (const auto& m : exchange_.markets) {
    if (m.base == to_asset && m.quote == from_asset) {
      market = &m;
      buys_base = true;
      break;
    }
    if (m.base == from_asset && m.quote == to_asset) {
      market = &m;
      break;
    }
  }
  if (!market) return make_error(err::kConvertPair, from_asset, to_asset);
  // The book's average price for this amount when it is deep enough, else the reference price.
  std::optional<Int128> book_price;
  if (book_) {
    const bool quote_side_given = buys_base ? from_amount > 0 : to_amount > 0;
    const int64_t amount = from_amount > 0 ? from_amount : to_amount;
    book_price = average_price(book_(market->symbol, buys_base), amount, quote_side_given, buys_base);
  }
  auto reference = config_.reference_prices.find(market->symbol);
  if (!book_price && (reference == config_.reference_prices.end() || reference->second <= 0)) {
    return make_error(err::kConvertPair, from_asset, to_asset);
  }
  // The spread moves the price against the user: a buyer pays more, a seller gets less.
  const Int128 p = book_price ? *book_price : Int128{reference->second};
  const Int128 price = buys_base
                           ? ceil_div(p * (kBpsDenominator + config_.spread_bps), kBpsDenominator)
                           : p * (kBpsDenominator - config_.spread_bps) / kBpsDenominator;
  if (price <= 0) return make_error(err::kConvertPair, from_asset, to_asset);

  const Int128 one = pow10(kAmountScale);
  Int128 from = from_amount;
  Int128 to = to_amount;
  // Paying a given amount: what comes back is rounded down. Receiving a given amount: what it
  // costs is rounded up.
  if (buys_base) {  // price = from per to
    if (from_amount > 0) {
      to = from * one / price;
    } else {
      from = ceil_div(to * price, one);
    }
  } else {  // price = to per from
    if (from_amount > 0) {
      to = from * price / one;
    } else {
      from = ceil_div(to * one, price);
    }
  }
  if (from <= 0 || to <= 0) return make_error(err::kConvertAmount, "the result rounds to zero");
  if (from > INT64_MAX || to > INT64_MAX) return make_error(err::kConvertAmount, "too large");
  for (const auto& [asset, amount] : {std::pair{&from_asset, from}, std::pair{&to_asset, to}}) {
    auto max = config_.max_amounts.find(*asset);
    if (max != config_.max_amounts.end() && amount > max->second) {
      return make_error(
          err::kConvertAmount,
          fmt::format("at most {} {}", format_decimal(max->second, kAmountScale), *asset));
    }
  }
  // Ratios as displayed, rounded against the user like the amounts.
  const Int128 inverse_price = buys_base ? one * one / price : ceil_div(one * one, price);
  Pricing out;
  out.from_amount = static_cast<int64_t>(from);
  out.to_amount = static_cast<int64_t>(to);
  out.ratio = static_cast<int64_t>(std::min<Int128>(buys_base ? inverse_price : price, INT64_MAX));
  out.inverse_ratio =
      static_cast<int64_t>(std::min<Int128>(buys_base ? price : inverse_price, INT64_MAX));
  return out;
}

Result<Quote> Convert::get_quote(QuoteRequest req) {
  auto pricing = price(req.from_asset, req.to_asset, req.from_amount, req.to_amount);
  if (!pricing) return pricing.error();
  const int64_t valid_ms = std::clamp<int64_t>(
      req.valid_ms <= 0 ? kDefaultQuoteValidMs : req.valid_ms, 1, config_.max_quote_valid_ms);
  Quote q{crypto::random_hex(16), req.user_id, req.from_asset, req.to_asset, *pricing, 0, 0};
  return engine_
      .submit<Result<Quote>>([this, q, valid_ms](engine::Batch& batch) mutable -> Result<Quote> {
        q.created_ms = clock_.now_ms();
        q.valid_until_ms = q.created_ms + valid_ms;
        // A quote the desk could not pay now would only fail on accept.
        if (batch.ledger().balance(ledger::AccountRef::convert_desk(), q.to_asset) <
            q.pricing.to_amount) {
          return make_error(err::kDeskLiquidity, q.to_asset);
        }
        const size_t cap = static_cast<size_t>(config_.max_open_quotes);
        if (quotes_of_[q.user_id].size() >= cap) sweep_user(q.user_id, q.created_ms);
        if (quotes_of_[q.user_id].size() >= cap) return make_error(err::kTooManyQuotes, cap);
        quotes_of_[q.user_id].push_back(q.quote_id);
        quotes_.emplace(q.quote_id, q);
        if (++quotes_since_sweep_ >= kSweepEvery) sweep_all(q.created_ms);
        return q;
      })
      .get();
}

Result<ConvertOrder> Convert::accept_quote(int64_t user_id, const std::string& quote_id) {
  return engine_
      .submit<Result<ConvertOrder>>([this, user_id,
                                     quote_id](engine::Batch& batch) -> Result<ConvertOrder> {
        auto it = quotes_.find(quote_id);
        if (it == quotes_.end() || it->second.user_id != user_id) {
          auto done = accepted_.find(quote_id);
          if (done != accepted_.end() && done->second == user_id) {
            return make_error(err::kQuoteAccepted);
          }
          return make_error(err::kQuoteNotFound);
        }
        const Quote q = it->second;
        if (clock_.now_ms() >= q.valid_until_ms) {
          forget(quote_id);
          return make_error(err::kQuoteNotFound);
        }
        const ledger::Ledger& l = batch.ledger();
        if (l.balance(ledger::AccountRef::user_free(user_id), q.from_asset) <
            q.pricing.from_amount) {
          return make_error(err::kInsufficientBalance);
        }
        if (l.balance(ledger::AccountRef::convert_desk(), q.to_asset) < q.pricing.to_amount) {
          return make_error(err::kDeskLiquidity, q.to_asset);
        }
        ConvertOrder o{batch.next_entry_id(), q.quote_id, user_id,
                       q.from_asset,          q.to_asset, q.pricing,
                       batch.now_ms(),        "SUCCESS"};
        if (auto s = batch.post(ledger::convert(0, 0, user_id, q.from_asset, q.pricing.from_amount,
                                                q.to_asset, q.pricing.to_amount, q.quote_id));
            !s) {
          return s.error();
        }
        forget(quote_id);
        accepted_.emplace(o.quote_id, user_id);
        batch.also([o](store::Db& db) {
          db.exec(
              std::string("INSERT INTO converts (") + kOrderColumns +
                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              {o.order_id, o.quote_id, o.user_id, o.from_asset, o.pricing.from_amount, o.to_asset,
               o.pricing.to_amount, o.pricing.ratio, o.pricing.inverse_ratio, o.created_ms});
        });
        return o;
      })
      .get();
}

Result<DeskFunding> Convert::fund_desk(const std::string& asset, int64_t amount,
                                       std::string reference) {
  if (!exchange_.find_asset(asset)) return make_error(err::kUnknownAsset, asset);
  if (amount <= 0) return make_error(err::kBadParam, "amount");
  if (reference.empty()) reference = "desk-" + crypto::random_hex(8);
  return engine_
      .submit<Result<DeskFunding>>(
          [this, asset, amount, reference](engine::Batch& batch) -> Result<DeskFunding> {
            if (auto it = fundings_.find(reference); it != fundings_.end()) {
              DeskFunding first = it->second;
              first.replayed = true;
              return first;
            }
            DeskFunding f{batch.next_entry_id(), asset, amount, reference, false};
            if (auto s = batch.post(ledger::desk_fund(0, 0, asset, amount, reference)); !s)
              return s.error();
            fundings_.emplace(reference, f);
            return f;
          })
      .get();
}

std::vector<std::pair<std::string, int64_t>> Convert::desk_balances() {
  return engine_
      .submit<std::vector<std::pair<std::string, int64_t>>>([this](engine::Batch& batch) {
        std::vector<std::pair<std::string, int64_t>> out;
        for (const auto& a : exchange_.assets) {
          out.emplace_back(a.name,
                           batch.ledger().balance(ledger::AccountRef::convert_desk(), a.name));
        }
        return out;
      })
      .get();
}

ConvertPage Convert::trade_flow(int64_t user_id, int64_t start_ms, int64_t end_ms, size_t limit) {
  // Committed history straight from the store: every row there was acknowledged.
  return store_.tx([&](store::Db& db) {
    ConvertPage page;
    for (const auto& r :
         db.query(std::string("SELECT ") + kOrderColumns +
                      " FROM converts WHERE user_id = ? AND created_at >= ? AND "
                      "created_at <= ? ORDER BY created_at DESC, order_id DESC LIMIT ?",
                  {user_id, start_ms, end_ms, static_cast<int64_t>(limit) + 1})) {
      if (page.orders.size() == limit) {
        page.more = true;
        break;
      }
      page.orders.push_back(order_from_row(r));
    }
    return page;
  });
}

Result<ConvertOrder> Convert::order_status(int64_t user_id, int64_t order_id) {
  auto row = store_.tx([&](store::Db& db) {
    return db.query_one(std::string("SELECT ") + kOrderColumns +
                            " FROM converts WHERE order_id = ? AND user_id = ?",
                        {order_id, user_id});
  });
  if (!row) return make_error(err::kConvertOrderNotFound);
  return order_from_row(*row);
}

Result<ConvertOrder> Convert::order_by_quote(int64_t user_id, const std::string& quote_id) {
  auto row = store_.tx([&](store::Db& db) {
    return db.query_one(std::string("SELECT ") + kOrderColumns +
                            " FROM converts WHERE quote_id = ? AND user_id = ?",
                        {quote_id, user_id});
  });
  if (!row) return make_error(err::kConvertOrderNotFound);
  return order_from_row(*row);
}

size_t Convert::open_quotes() {
  return engine_.submit<size_t>([this](engine::Batch&) { return quotes_.size(); }).get();
}

void Convert::forget(const std::string& quote_id) {
  auto it = quotes_.find(quote_id);
  if (it == quotes_.end()) return;
  auto mine = quotes_of_.find(it->second.user_id);
  if (mine != quotes_of_.end()) {
    std::erase(mine->second, quote_id);
    if (mine->second.empty()) quotes_of_.erase(mine);
  }
  quotes_.erase(it);
}

void Convert::sweep_user(int64_t user_id, int64_t now_ms) {
  auto mine = quotes_of_.find(user_id);
  if (mine == quotes_of_.end()) return;
  std::erase_if(mine->second, [&](const std::string& id) {
    auto it = quotes_.find(id);
    if (it == quotes_.end()) return true;
    if (now_ms < it->second.valid_until_ms) return false;
    quotes_.erase(it);
    return true;
  });
  if (mine->second.empty()) quotes_of_.erase(mine);
}

void Convert::sweep_all(int64_t now_ms) {
  quotes_since_sweep_ = 0;
  std::vector<int64_t> users;
  users.reserve(quotes_of_.size());
  for (const auto& [user, ids] : quotes_of_) users.push_back(user);
  for (int64_t user : users) sweep_user(user, now_ms);
}

}  // namespace kg::wallet
