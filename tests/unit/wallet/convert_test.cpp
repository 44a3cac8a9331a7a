// Convert against a real engine and store (SQLite, and PostgreSQL when KEYGATE_TEST_PG_URL is
// set): pricing with the spread against the user and rounding in the desk's favour, quotes that
// expire (manual clock), belong to one user and are accepted once, the desk that cannot go below
// zero, idempotent desk funding, and the history, across a restart.

#include "wallet/convert.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ledger/entries.hpp"
#include "store/store.hpp"
#include "support/backends.hpp"

namespace kg::wallet {
namespace {

using ledger::AccountRef;
using test::Backends;

constexpr int64_t kOne = 100'000'000;  // 1.00000000

ExchangeSpec exchange_spec() {
  ExchangeSpec ex;
  for (const char* name : {"BTC", "ETH", "XRP", "USDT"}) ex.assets.push_back(Asset{name, name, {}});
  for (const char* base : {"BTC", "ETH", "XRP"}) {
    Market m;
    m.base = base;
    m.quote = "USDT";
    m.symbol = m.base + m.quote;
    ex.markets.push_back(m);
  }
  return ex;
}

template <typename Backend>
class ConvertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = Backend::skip_reason()) GTEST_SKIP() << *why;
    backend_ = std::make_unique<Backend>();
    store_ = std::make_unique<store::Store>(backend_->open());
    store_->migrate();
    alice_ = add_user("alice@example.com");
    bob_ = add_user("bob@example.com");
    // ETHUSDT has no price: its pairs cannot be converted.
    config_.reference_prices = {{"XRPUSDT", kOne / 2}, {"BTCUSDT", 60'000 * kOne}};
    config_.max_amounts = {{"XRP", 1'000'000 * kOne}};
    config_.max_open_quotes = 5;
    start();
  }

  void start() {
    engine_ = std::make_unique<engine::Engine>(*store_, clock_);
    engine_->recover();
    convert_ = std::make_unique<Convert>(*engine_, *store_, exchange_, config_, clock_);
    convert_->load();
    engine_->start();
  }
  void restart() {
    engine_->stop();
    convert_.reset();
    engine_.reset();
    start();
  }

  int64_t add_user(const std::string& email) {
    return store_->tx([&](store::Db& db) {
      db.exec(
          "INSERT INTO users (email, password_hash, created_at, updated_at) VALUES (?, 'x', 0, 0)",
          {email});
      return db.query_one("SELECT id FROM users WHERE email = ?", {email})->int64(0);
    });
  }
  void deposit(int64_t user, const std::string& asset, int64_t amount) {
    const std::string txid = "tx-" + std::to_string(++deposits_);
    auto s = engine_
                 ->submit<Status>([=](engine::Batch& b) {
                   return b.post(ledger::deposit(0, 0, user, asset, amount, txid));
                 })
                 .get();
    ASSERT_TRUE(s.ok()) << s.error().msg;
  }
  int64_t held(const AccountRef& account, const std::string& asset) {
    return engine_
        ->submit<int64_t>([=](engine::Batch& b) { return b.ledger().balance(account, asset); })
        .get();
  }
  int64_t free_of(int64_t user, const std::string& asset) {
    return held(AccountRef::user_free(user), asset);
  }
  int64_t desk(const std::string& asset) { return held(AccountRef::convert_desk(), asset); }
  uint64_t state_hash() {
    return engine_->submit<uint64_t>([](engine::Batch& b) { return b.ledger().state_hash(); })
        .get();
  }
  int64_t stored_converts() {
    return store_->tx(
        [](store::Db& db) { return db.query_one("SELECT COUNT(*) FROM converts")->int64(0); });
  }
  void fund(const std::string& asset, int64_t amount) {
    auto f = convert_->fund_desk(asset, amount, "");
    ASSERT_TRUE(f.ok()) << f.error().msg;
  }
  Quote quote(int64_t user, const std::string& from, const std::string& to, int64_t from_amount,
              int64_t to_amount = 0, int64_t valid_ms = kDefaultQuoteValidMs) {
    auto q = convert_->get_quote({user, from, to, from_amount, to_amount, valid_ms});
    EXPECT_TRUE(q.ok()) << q.error().msg;
    return q.ok() ? *q : Quote{};
  }

  template <typename T>
  static void expect_error(const Result<T>& r, int code) {
    ASSERT_FALSE(r.ok()) << "expected error " << code;
    EXPECT_EQ(r.error().code, code) << r.error().msg;
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{1'700'000'000'000};
  ExchangeSpec exchange_ = exchange_spec();
  ConvertConfig config_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Convert> convert_;
  int64_t alice_ = 0, bob_ = 0;
  int deposits_ = 0;
};

TYPED_TEST_SUITE(ConvertTest, Backends);

TYPED_TEST(ConvertTest, PricesWithTheSpreadAgainstTheUser) {
  Convert& c = *this->convert_;
  // USDT -> XRP buys XRP at 0.5 + 0.1 % = 0.5005 USDT; what comes back is rounded down.
  auto buy = c.price("USDT", "XRP", 100 * kOne, 0);
  ASSERT_TRUE(buy.ok());
  EXPECT_EQ(buy->from_amount, 100 * kOne);
  EXPECT_EQ(buy->to_amount, 19'980'019'980);  // 199.80019980 (100 / 0.5005 = 199.800199800...)
  EXPECT_EQ(buy->inverse_ratio, 50'050'000);  // 0.50050000 USDT per XRP
  EXPECT_EQ(buy->ratio, 199'800'199);         // 1.99800199 XRP per USDT
  // XRP -> USDT sells at 0.5 - 0.1 % = 0.4995.
  auto sell = c.price("XRP", "USDT", 100 * kOne, 0);
  ASSERT_TRUE(sell.ok());
  EXPECT_EQ(sell->to_amount, 4'995'000'000);  // 49.95
  EXPECT_EQ(sell->ratio, 49'950'000);
  EXPECT_EQ(sell->inverse_ratio, 200'200'201);  // 2.002002002... rounded up
  // A given amount to receive: what it costs is rounded up.
  auto exact = c.price("USDT", "XRP", 0, 3);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->to_amount, 3);
  EXPECT_EQ(exact->from_amount, 2);  // 3 * 0.5005 = 1.5015 units, rounded up
  auto btc = c.price("BTC", "USDT", 0, 60'000 * kOne);
  ASSERT_TRUE(btc.ok());
  EXPECT_EQ(btc->from_amount, 100'100'101);  // 60000 / 59940 = 1.001001001 BTC, rounded up
}

// With an order book behind it, a quote takes the book's average price for the amount (the
// spread still against the user), and the reference price only when the book is too thin.
TYPED_TEST(ConvertTest, PricesFromTheBookWhenItIsDeepEnough) {
  Convert& c = *this->convert_;
  std::vector<std::pair<std::string, bool>> asked;
  c.set_book_source([&asked](const std::string& symbol, bool asks) {
    asked.emplace_back(symbol, asks);
    std::vector<BookLevel> levels;
    if (symbol == "XRPUSDT" && asks) levels = {{40'000'000, 100 * kOne}, {60'000'000, 100 * kOne}};
    if (symbol == "ETHUSDT" && !asks) levels = {{3000 * kOne, kOne}};
    return levels;
  });
  // 70 USDT takes all 100 XRP at 0.40 and 50 at 0.60: 150 XRP at 0.46666667 (rounded up for a
  // buyer), plus 0.1 % = 0.46713334; 70 / 0.46713334 rounded down.
  auto buy = c.price("USDT", "XRP", 70 * kOne, 0);
  ASSERT_TRUE(buy.ok()) << buy.error().msg;
  EXPECT_EQ(buy->inverse_ratio, 46'713'334);
  EXPECT_EQ(buy->to_amount, 14'985'014'771);
  ASSERT_FALSE(asked.empty());
  EXPECT_EQ(asked.back(), std::make_pair(std::string("XRPUSDT"), true));  // a buyer takes asks
  // 200 USDT is more than the asks hold (100 USDT): the reference price (0.5) answers.
  auto deep = c.price("USDT", "XRP", 200 * kOne, 0);
  ASSERT_TRUE(deep.ok());
  EXPECT_EQ(deep->inverse_ratio, 50'050'000);
  // ETHUSDT has no reference price but a bid: selling 0.5 ETH gets 3000 less 0.1 %.
  auto sell = c.price("ETH", "USDT", kOne / 2, 0);
  ASSERT_TRUE(sell.ok()) << sell.error().msg;
  EXPECT_EQ(sell->ratio, 299'700'000'000);
  EXPECT_EQ(sell->to_amount, 149'850'000'000);
  EXPECT_EQ(asked.back(), std::make_pair(std::string("ETHUSDT"), false));  // a seller takes bids
  // 2 ETH is more than the bid holds, and there is no reference to fall back on.
  this->expect_error(c.price("ETH", "USDT", 2 * kOne, 0), -7422);
}

TYPED_TEST(ConvertTest, RefusesPairsAndAmountsItCannotPrice) {
  Convert& c = *this->convert_;
  this->expect_error(c.price("BTC", "XRP", kOne, 0), -7422);   // no BTCXRP market
  this->expect_error(c.price("ETH", "USDT", kOne, 0), -7422);  // a market without a price
  this->expect_error(c.price("USDT", "USDT", kOne, 0), -7422);
  this->expect_error(c.price("DOGE", "USDT", kOne, 0), -7410);
  this->expect_error(c.price("XRP", "USDT", 1, 0), -7424);               // rounds to zero
  this->expect_error(c.price("USDT", "XRP", 600'000 * kOne, 0), -7424);  // over max XRP
  this->expect_error(c.price("USDT", "XRP", 0, 1'000'000 * kOne + 1), -7424);
  this->expect_error(c.price("BTC", "USDT", INT64_MAX, 0), -7424);  // a result over int64
  this->expect_error(c.price("USDT", "XRP", kOne, kOne), -1128);
  this->expect_error(c.price("USDT", "XRP", 0, 0), -1128);
}

TYPED_TEST(ConvertTest, AcceptMovesExactlyTheQuotedAmounts) {
  const int64_t a = this->alice_;
  this->deposit(a, "USDT", 1000 * kOne);
  this->fund("XRP", 1'000'000 * kOne);
  const Quote q = this->quote(a, "USDT", "XRP", 100 * kOne);
  EXPECT_EQ(q.quote_id.size(), 32u);
  EXPECT_EQ(q.valid_until_ms, this->clock_.now_ms() + 10'000);
  EXPECT_EQ(q.pricing.to_amount, 19'980'019'980);

  auto o = this->convert_->accept_quote(a, q.quote_id);
  ASSERT_TRUE(o.ok()) << o.error().msg;
  EXPECT_STREQ(o->status, "SUCCESS");
  EXPECT_EQ(o->created_ms, this->clock_.now_ms());
  EXPECT_EQ(this->free_of(a, "USDT"), 900 * kOne);
  EXPECT_EQ(this->free_of(a, "XRP"), 19'980'019'980);
  EXPECT_EQ(this->desk("USDT"), 100 * kOne);
  EXPECT_EQ(this->desk("XRP"), 1'000'000 * kOne - 19'980'019'980);
  EXPECT_EQ(this->stored_converts(), 1);

  // The journal has it, it reconciles, and the order id is the entry id.
  auto journal = this->engine_->load_journal();
  ASSERT_FALSE(journal.empty());
  EXPECT_EQ(journal.back().id, o->order_id);
  EXPECT_EQ(journal.back().kind, ledger::kKindConvert);
  EXPECT_EQ(journal.back().reference, q.quote_id);

  auto st = this->convert_->order_status(a, o->order_id);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->quote_id, q.quote_id);
  EXPECT_EQ(st->pricing.from_amount, 100 * kOne);
  EXPECT_EQ(st->pricing.to_amount, 19'980'019'980);
  EXPECT_EQ(st->pricing.ratio, q.pricing.ratio);
  auto by_quote = this->convert_->order_by_quote(a, q.quote_id);
  ASSERT_TRUE(by_quote.ok());
  EXPECT_EQ(by_quote->order_id, o->order_id);
  // Another user's order is not there for them.
  this->expect_error(this->convert_->order_status(this->bob_, o->order_id), -7426);
  this->expect_error(this->convert_->order_by_quote(this->bob_, q.quote_id), -7426);
}

TYPED_TEST(ConvertTest, AQuoteIsAcceptedOnce) {
  const int64_t a = this->alice_;
  this->deposit(a, "USDT", 1000 * kOne);
  this->fund("XRP", 1000 * kOne);
  const Quote q = this->quote(a, "USDT", "XRP", 10 * kOne);
  ASSERT_TRUE(this->convert_->accept_quote(a, q.quote_id).ok());
  const uint64_t after_first = this->state_hash();
  this->expect_error(this->convert_->accept_quote(a, q.quote_id), -7421);
  EXPECT_EQ(this->state_hash(), after_first);
  EXPECT_EQ(this->stored_converts(), 1);
  // Still once after a restart: accepted quotes are loaded from the store.
  this->restart();
  this->expect_error(this->convert_->accept_quote(a, q.quote_id), -7421);
  EXPECT_EQ(this->state_hash(), after_first);
}

TYPED_TEST(ConvertTest, AnExpiredQuoteIsRefused) {
  const int64_t a = this->alice_;
  this->deposit(a, "USDT", 1000 * kOne);
  this->fund("XRP", 1000 * kOne);
  const Quote q = this->quote(a, "USDT", "XRP", 10 * kOne);
  this->clock_.advance_ms(10'000);  // valid strictly before valid_until_ms
  this->expect_error(this->convert_->accept_quote(a, q.quote_id), -7420);
  EXPECT_EQ(this->free_of(a, "USDT"), 1000 * kOne);
  EXPECT_EQ(this->stored_converts(), 0);

  const Quote longer = this->quote(a, "USDT", "XRP", 10 * kOne, 0, 30'000);
  EXPECT_EQ(longer.valid_until_ms, this->clock_.now_ms() + 30'000);
  this->clock_.advance_ms(29'999);
  EXPECT_TRUE(this->convert_->accept_quote(a, longer.quote_id).ok());
  // Validity is capped by the configuration.
  const Quote capped = this->quote(a, "USDT", "XRP", kOne, 0, 3'600'000);
  EXPECT_EQ(capped.valid_until_ms, this->clock_.now_ms() + this->config_.max_quote_valid_ms);
}

TYPED_TEST(ConvertTest, AnotherUsersQuoteAnswersLikeAnUnknownOne) {
  const int64_t a = this->alice_, b = this->bob_;
  this->deposit(a, "USDT", 1000 * kOne);
  this->deposit(b, "USDT", 1000 * kOne);
  this->fund("XRP", 1000 * kOne);
  const Quote q = this->quote(a, "USDT", "XRP", 10 * kOne);
  auto unknown = this->convert_->accept_quote(b, "00000000000000000000000000000000");
  auto theirs = this->convert_->accept_quote(b, q.quote_id);
  ASSERT_FALSE(unknown.ok());
  ASSERT_FALSE(theirs.ok());
  EXPECT_EQ(theirs.error().code, unknown.error().code);
  EXPECT_EQ(theirs.error().msg, unknown.error().msg);
  EXPECT_EQ(theirs.error().http, unknown.error().http);
  EXPECT_EQ(this->free_of(b, "USDT"), 1000 * kOne);
  // The owner still can; afterwards the other user still learns nothing ("unknown", not
  // "accepted").
  ASSERT_TRUE(this->convert_->accept_quote(a, q.quote_id).ok());
  auto later = this->convert_->accept_quote(b, q.quote_id);
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().code, unknown.error().code);
  EXPECT_EQ(later.error().msg, unknown.error().msg);
}

TYPED_TEST(ConvertTest, InsufficientBalanceChangesNothingAndKeepsTheQuote) {
  const int64_t a = this->alice_;
  this->deposit(a, "USDT", 10 * kOne);
  this->fund("XRP", 1000 * kOne);
  const Quote q = this->quote(a, "USDT", "XRP", 100 * kOne);
  const uint64_t before = this->state_hash();
  this->expect_error(this->convert_->accept_quote(a, q.quote_id), -2010);
  EXPECT_EQ(this->state_hash(), before);
  EXPECT_EQ(this->stored_converts(), 0);
  // The quote is still open: with the money there, it goes through.
  this->deposit(a, "USDT", 90 * kOne);
  ASSERT_TRUE(this->convert_->accept_quote(a, q.quote_id).ok());
  EXPECT_EQ(this->free_of(a, "USDT"), 0);
}

TYPED_TEST(ConvertTest, TheDeskNeverGoesBelowZero) {
  const int64_t a = this->alice_, b = this->bob_;
  this->deposit(a, "USDT", 1000 * kOne);
  this->deposit(b, "USDT", 1000 * kOne);
  // No XRP on the desk: no quote.
  auto none = this->convert_->get_quote({a, "USDT", "XRP", 10 * kOne, 0, kDefaultQuoteValidMs});
  this->expect_error(none, -7423);
  this->fund("XRP", 200 * kOne);
  // Two quotes the desk can pay one at a time, not both.
  const Quote qa = this->quote(a, "USDT", "XRP", 0, 150 * kOne);
  const Quote qb = this->quote(b, "USDT", "XRP", 0, 150 * kOne);
  ASSERT_TRUE(this->convert_->accept_quote(a, qa.quote_id).ok());
  const uint64_t before = this->state_hash();
  this->expect_error(this->convert_->accept_quote(b, qb.quote_id), -7423);
  EXPECT_EQ(this->state_hash(), before);
  EXPECT_EQ(this->desk("XRP"), 50 * kOne);
  EXPECT_EQ(this->free_of(b, "USDT"), 1000 * kOne);
}

TYPED_TEST(ConvertTest, OpenQuotesPerUserAreCapped) {
  const int64_t a = this->alice_;
  this->fund("XRP", 1000 * kOne);
  for (int i = 0; i < this->config_.max_open_quotes; ++i) this->quote(a, "USDT", "XRP", kOne);
  this->expect_error(this->convert_->get_quote({a, "USDT", "XRP", kOne, 0, kDefaultQuoteValidMs}),
                     -7425);
  // Someone else is not affected.
  this->quote(this->bob_, "USDT", "XRP", kOne);
  // Expired quotes stop counting.
  this->clock_.advance_ms(kDefaultQuoteValidMs);
  this->quote(a, "USDT", "XRP", kOne);
  EXPECT_EQ(this->convert_->open_quotes(), 2u);
}

TYPED_TEST(ConvertTest, OpenQuotesAreNotDurable) {
  const int64_t a = this->alice_;
  this->deposit(a, "USDT", 1000 * kOne);
  this->fund("XRP", 1000 * kOne);
  const Quote q = this->quote(a, "USDT", "XRP", kOne);
  this->restart();
  this->expect_error(this->convert_->accept_quote(a, q.quote_id), -7420);
  EXPECT_EQ(this->free_of(a, "USDT"), 1000 * kOne);
}

TYPED_TEST(ConvertTest, TheDeskIsFundedOncePerReference) {
  auto f = this->convert_->fund_desk("XRP", 500 * kOne, "seed-1");
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->replayed);
  auto again = this->convert_->fund_desk("XRP", 500 * kOne, "seed-1");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->entry_id, f->entry_id);
  EXPECT_EQ(this->desk("XRP"), 500 * kOne);
  this->restart();
  auto after_restart = this->convert_->fund_desk("XRP", 500 * kOne, "seed-1");
  ASSERT_TRUE(after_restart.ok());
  EXPECT_TRUE(after_restart->replayed);
  EXPECT_EQ(after_restart->amount, 500 * kOne);
  EXPECT_EQ(this->desk("XRP"), 500 * kOne);
  EXPECT_EQ(this->held(AccountRef::external(), "XRP"), -500 * kOne);
  this->expect_error(this->convert_->fund_desk("DOGE", kOne, ""), -7410);
  this->expect_error(this->convert_->fund_desk("XRP", 0, ""), -1102);
  const auto balances = this->convert_->desk_balances();
  ASSERT_EQ(balances.size(), 4u);
  EXPECT_EQ(balances[2], (std::pair<std::string, int64_t>{"XRP", 500 * kOne}));
}

TYPED_TEST(ConvertTest, TradeFlowIsTheUsersHistoryNewestFirst) {
  const int64_t a = this->alice_, b = this->bob_;
  this->deposit(a, "USDT", 1000 * kOne);
  this->deposit(b, "USDT", 1000 * kOne);
  this->fund("XRP", 1000 * kOne);
  const int64_t t0 = this->clock_.now_ms();
  std::vector<int64_t> orders;
  for (int i = 0; i < 3; ++i) {
    const Quote q = this->quote(a, "USDT", "XRP", (i + 1) * kOne);
    auto o = this->convert_->accept_quote(a, q.quote_id);
    ASSERT_TRUE(o.ok());
    orders.push_back(o->order_id);
    this->clock_.advance_ms(1000);
  }
  ASSERT_TRUE(this->convert_->accept_quote(b, this->quote(b, "USDT", "XRP", kOne).quote_id).ok());

  auto all = this->convert_->trade_flow(a, t0, t0 + 10'000, 100);
  ASSERT_EQ(all.orders.size(), 3u);
  EXPECT_FALSE(all.more);
  EXPECT_EQ(all.orders[0].order_id, orders[2]);
  EXPECT_EQ(all.orders[2].order_id, orders[0]);
  EXPECT_EQ(all.orders[2].pricing.from_amount, kOne);
  EXPECT_EQ(all.orders[2].created_ms, t0);

  auto two = this->convert_->trade_flow(a, t0, t0 + 10'000, 2);
  ASSERT_EQ(two.orders.size(), 2u);
  EXPECT_TRUE(two.more);
  auto middle = this->convert_->trade_flow(a, t0 + 1000, t0 + 1000, 100);
  ASSERT_EQ(middle.orders.size(), 1u);
  EXPECT_EQ(middle.orders[0].order_id, orders[1]);
  EXPECT_TRUE(this->convert_->trade_flow(a, t0 + 5000, t0 + 9000, 100).orders.empty());
  EXPECT_EQ(this->convert_->trade_flow(b, t0, t0 + 10'000, 100).orders.size(), 1u);
}

TEST(ConvertConfigCheck, APriceForAMarketThatDoesNotExistStopsTheStart) {
  test::SqliteBackend backend;
  store::Store store(backend.open());
  ManualClock clock(0);
  engine::Engine engine(store, clock);
  const ExchangeSpec ex = exchange_spec();
  ConvertConfig config;
  config.reference_prices = {{"DOGEUSDT", kOne}};
  EXPECT_THROW(Convert(engine, store, ex, config, clock), std::runtime_error);
  config.reference_prices = {};
  config.max_amounts = {{"DOGE", kOne}};
  EXPECT_THROW(Convert(engine, store, ex, config, clock), std::runtime_error);
  config.max_amounts = {};
  config.spread_bps = 10'000;
  EXPECT_THROW(Convert(engine, store, ex, config, clock), std::runtime_error);
}

}  // namespace
}  // namespace kg::wallet
