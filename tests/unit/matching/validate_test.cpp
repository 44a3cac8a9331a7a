#include "matching/validate.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "matching/book_helpers.hpp"

namespace kg::matching {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)

Market btcusdt() {
  Market m;
  m.symbol = "BTCUSDT";
  m.min_price = units(0.01);
  m.max_price = units(1'000'000);
  m.tick_size = units(0.01);
  m.min_qty = units(0.00001);
  m.max_qty = units(9000);
  m.step_size = units(0.00001);
  m.market_min_qty = units(0.00001);
  m.market_max_qty = units(100);
  m.min_notional = units(5);
  m.max_notional = units(9'000'000);
  return m;
}

std::string failure(const Status& s) {
  if (s.ok()) return "ok";
  return std::to_string(s.error().code) + " " + s.error().msg;
}

TEST(Validate, AcceptsOrdersWithinTheFilters) {
  const Market m = btcusdt();
  EXPECT_EQ(failure(validate(m, buy(1, 65000.01, 0.001))), "ok");
  EXPECT_EQ(failure(validate(m, maker_only(sell(1, 0.01, 500)))), "ok");
  EXPECT_EQ(failure(validate(m, market(1, Side::kSell, 0.5))), "ok");
  EXPECT_EQ(failure(validate(m, market_quote(1, Side::kBuy, 10))), "ok");
}

TEST(Validate, PriceFilter) {
  const Market m = btcusdt();
  const std::string f = "-1013 Filter failure: PRICE_FILTER";
  EXPECT_EQ(failure(validate(m, buy(1, 65000.005, 1))), f);  // off the tick
  EXPECT_EQ(failure(validate(m, buy(1, 0.001, 10000))), f);  // below minPrice
  EXPECT_EQ(failure(validate(m, buy(1, 1'000'000.01, 1))), f);
  Order zero = buy(1, 1, 1);
  zero.price = 0;
  EXPECT_EQ(failure(validate(m, zero)), f);
  Market open = m;
  open.min_price = open.max_price = open.tick_size = 0;  // 0 turns a check off
  EXPECT_EQ(failure(validate(open, buy(1, 65000.005, 1))), "ok");
}

TEST(Validate, LotSize) {
  const Market m = btcusdt();
  const std::string f = "-1013 Filter failure: LOT_SIZE";
  EXPECT_EQ(failure(validate(m, buy(1, 65000, 0.000015))), f);  // off the step
  EXPECT_EQ(failure(validate(m, buy(1, 65000, 0.000001))), f);
  EXPECT_EQ(failure(validate(m, sell(1, 1, 9000.00001))), f);
  EXPECT_EQ(failure(validate(m, market(1, Side::kBuy, 0.000015))), f);
}

TEST(Validate, MarketLotSize) {
  const Market m = btcusdt();
  EXPECT_EQ(failure(validate(m, market(1, Side::kBuy, 101))),
            "-1013 Filter failure: MARKET_LOT_SIZE");
  EXPECT_EQ(failure(validate(m, buy(1, 1, 101))), "ok");  // a limit order may
}

TEST(Validate, Notional) {
  const Market m = btcusdt();
  const std::string f = "-1013 Filter failure: NOTIONAL";
  EXPECT_EQ(failure(validate(m, buy(1, 4.99, 1))), f);
  EXPECT_EQ(failure(validate(m, buy(1, 5, 1))), "ok");
  EXPECT_EQ(failure(validate(m, buy(1, 1'000'000, 9.00001))), f);
  EXPECT_EQ(failure(validate(m, market_quote(1, Side::kBuy, 4.99))), f);
  EXPECT_EQ(failure(validate(m, market_quote(1, Side::kSell, 9'000'001))), f);
  // MARKET by quantity: only with a reference price (Binance's avgPrice).
  EXPECT_EQ(failure(validate(m, market(1, Side::kBuy, 0.0001))), "ok");
  EXPECT_EQ(failure(validate(m, market(1, Side::kBuy, 0.0001), units(65000))), "ok");
  EXPECT_EQ(failure(validate(m, market(1, Side::kBuy, 0.00001), units(65000))), f);
  // A notional beyond int64 fails even with no maximum.
  Market open;
  Order huge = buy(1, 1, 1);
  huge.price = huge.quantity = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(failure(validate(open, huge)), f);
}

TEST(Validate, Shape) {
  const Market m = btcusdt();
  Order both = market(1, Side::kBuy, 1);
  both.quote_quantity = units(10);
  EXPECT_EQ(validate(m, both).error().code, -1128);
  Order neither = market(1, Side::kBuy, 0);
  EXPECT_EQ(failure(validate(m, neither)),
            "-1102 Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
  Order priced = market(1, Side::kBuy, 1);
  priced.price = units(1);
  EXPECT_EQ(validate(m, priced).error().code, -1128);
  Order limit_quote = buy(1, 10, 1);
  limit_quote.quote_quantity = units(10);
  EXPECT_EQ(validate(m, limit_quote).error().code, -1128);
}

TEST(Arithmetic, QuoteOfRoundsDown) {
  EXPECT_EQ(quote_of(units(65000), units(0.001)), units(65));
  EXPECT_EQ(quote_of(123456789, 3), 3);  // 3.70370367
  EXPECT_EQ(quote_of(1, 1), 0);
  // The product (9.2e26) needs 128 bits; the quote (9.2e18) fits int64.
  EXPECT_EQ(quote_of(units(92'000'000), units(1000)), units(92'000'000'000));
  EXPECT_DEATH(quote_of(std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max()),
               "overflows");
}

TEST(Arithmetic, QuantityForQuoteIsTheMostThatFits) {
  EXPECT_EQ(quantity_for_quote(units(1), units(3), 1), 33333333);
  EXPECT_EQ(quantity_for_quote(units(1), units(3), units(0.01)), units(0.33));
  EXPECT_EQ(quantity_for_quote(units(100), units(100), units(0.01)), units(1));
  EXPECT_EQ(quantity_for_quote(1, units(3), 1), 0);
  const int64_t quotes[] = {1, 7, 99, 12345, 100'000'000, 987'654'321};
  const int64_t prices[] = {1, 3, 99'999'999, 123'456'789, 6'500'000'000'000};
  const int64_t steps[] = {1, 1000, 1'000'000};
  __extension__ using Int128 = __int128;
  for (int64_t quote : quotes) {
    for (int64_t price : prices) {
      for (int64_t step : steps) {
        const int64_t q = quantity_for_quote(quote, price, step);
        EXPECT_EQ(q % step, 0);
        EXPECT_LE(quote_of(price, q), quote);
        // Exactly affordable, and one more step is not.
        EXPECT_LE(static_cast<Int128>(price) * q, static_cast<Int128>(quote) * kOne);
        EXPECT_GT(static_cast<Int128>(price) * (q + step), static_cast<Int128>(quote) * kOne)
            << quote << " " << price << " " << step;
      }
    }
  }
}

TEST(Names, AreBinances) {
  EXPECT_EQ(to_string(OrderStatus::kExpiredInMatch), "EXPIRED_IN_MATCH");
  EXPECT_EQ(to_string(OrderStatus::kPartiallyFilled), "PARTIALLY_FILLED");
  EXPECT_EQ(to_string(OrderType::kLimitMaker), "LIMIT_MAKER");
  EXPECT_EQ(to_string(TimeInForce::kFok), "FOK");
  EXPECT_EQ(to_string(SelfTradePrevention::kExpireMaker), "EXPIRE_MAKER");
  EXPECT_EQ(to_string(Side::kSell), "SELL");
}

}  // namespace
}  // namespace kg::matching
