// Binance's timing rule: timestamp < serverTime + 1000 and serverTime - timestamp <= recvWindow.

#include "auth/timestamp.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace kg::auth {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr const char* kAhead = "Timestamp for this request was 1000ms ahead of the server's time.";
constexpr const char* kOld = "Timestamp for this request is outside of the recvWindow.";

Result<Window> check(const std::string& ts, std::optional<std::string> window = std::nullopt, int64_t now = kNow) {
  return check_timestamp(ts, window ? std::optional<std::string_view>(*window) : std::nullopt, now);
}
std::string ms(int64_t v) { return std::to_string(v); }

void expect_error(const Result<Window>& r, int code, const std::string& msg) {
  ASSERT_FALSE(r.ok()) << "expected " << code;
  EXPECT_EQ(r.error().code, code);
  EXPECT_EQ(r.error().msg, msg);
  EXPECT_EQ(r.error().http, 400);
}

TEST(CheckTimestamp, AheadEdge) {
  EXPECT_TRUE(check(ms(kNow)).ok());
  EXPECT_TRUE(check(ms(kNow + 999)).ok());
  expect_error(check(ms(kNow + 1000)), -1021, kAhead);
  expect_error(check(ms(kNow + 1001)), -1021, kAhead);
  expect_error(check(ms(kNow + 3'600'000)), -1021, kAhead);
}

TEST(CheckTimestamp, DefaultWindowIs5000) {
  EXPECT_EQ(kDefaultRecvWindowMs, 5000);
  auto ok = check(ms(kNow - 5000));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->recv_window_us, 5'000'000);
  EXPECT_EQ(ok->timestamp_us, (kNow - 5000) * 1000);
  expect_error(check(ms(kNow - 5001)), -1021, kOld);
}

TEST(CheckTimestamp, RecvWindowEdge) {
  for (int64_t w : {1, 100, 5000, 10'000, 59'999, 60'000}) {
    SCOPED_TRACE(w);
    EXPECT_TRUE(check(ms(kNow - w), ms(w)).ok());
    expect_error(check(ms(kNow - w - 1), ms(w)), -1021, kOld);
    EXPECT_TRUE(check(ms(kNow + 999), ms(w)).ok());
    expect_error(check(ms(kNow + 1000), ms(w)), -1021, kAhead);
  }
}

TEST(CheckTimestamp, RecvWindowAbove60000IsRefused) {
  EXPECT_EQ(kMaxRecvWindowMs, 60000);
  EXPECT_TRUE(check(ms(kNow), "60000").ok());
  EXPECT_TRUE(check(ms(kNow), "60000.000").ok());
  expect_error(check(ms(kNow), "60000.001"), -1131, "recvWindow must be less than 60000");
  expect_error(check(ms(kNow), "60001"), -1131, "recvWindow must be less than 60000");
  expect_error(check(ms(kNow), "999999999"), -1131, "recvWindow must be less than 60000");
}

TEST(CheckTimestamp, RecvWindowWithThreeDecimals) {
  // 5000.5 ms = 5000500 µs: a µs timestamp exactly that old passes, one µs older does not.
  const int64_t now_us = kNow * 1000;
  auto ok = check(ms(now_us - 5'000'500), "5000.5");
  ASSERT_TRUE(ok.ok()) << ok.error().msg;
  EXPECT_EQ(ok->recv_window_us, 5'000'500);
  expect_error(check(ms(now_us - 5'000'501), "5000.5"), -1021, kOld);
  auto three = check(ms(kNow), "0.001");
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->recv_window_us, 1);
  EXPECT_EQ(check(ms(kNow), "1234.567")->recv_window_us, 1'234'567);
}

TEST(CheckTimestamp, MalformedRecvWindow) {
  for (const char* w : {"5000.1234", "0.0001", "", "0", "0.000", "-1", "-5000", "+5000", "abc", "5e3", " 5000",
                        "5000 ", "5000.", ".5", "5,000", "0x100"}) {
    auto r = check(ms(kNow), std::string(w));
    ASSERT_FALSE(r.ok()) << "'" << w << "'";
    EXPECT_EQ(r.error().code, -1102) << "'" << w << "'";
    EXPECT_EQ(r.error().msg, "Mandatory parameter 'recvWindow' was not sent, was empty/null, or malformed.");
  }
}

TEST(CheckTimestamp, MicrosecondTimestamps) {
  const int64_t now_us = kNow * 1000;
  ASSERT_EQ(ms(now_us).size(), 16u);
  auto ok = check(ms(now_us));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->timestamp_us, now_us);
  EXPECT_TRUE(check(ms(now_us + 999'999)).ok());
  expect_error(check(ms(now_us + 1'000'000)), -1021, kAhead);
  EXPECT_TRUE(check(ms(now_us - 5'000'000)).ok());
  expect_error(check(ms(now_us - 5'000'001)), -1021, kOld);
  EXPECT_TRUE(check(ms(now_us - 60'000'000), "60000").ok());
  expect_error(check(ms(now_us - 60'000'001), "60000"), -1021, kOld);
  // The smallest 16-digit value is µs (and very old); 15 digits are ms (and far ahead).
  expect_error(check("1000000000000000"), -1021, kOld);
  expect_error(check("999999999999999"), -1021, kAhead);
  // Huge values do not overflow into acceptance.
  expect_error(check("9223372036854775807"), -1021, kAhead);
}

TEST(CheckTimestamp, MissingOrMalformedTimestamp) {
  const std::string bad_msg = "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.";
  auto missing = check_timestamp(std::nullopt, std::nullopt, kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, -1102);
  EXPECT_EQ(missing.error().msg, bad_msg);
  for (const char* ts : {"", "abc", "1700000000000x", "x1700000000000", "1700000000000.0", "1.7e12", " 1700000000000",
                         "1700000000000 ", "+1700000000000", "-1700000000000", "0", "-1", "99999999999999999999",
                         "0x18BCFE56800"}) {
    auto r = check(ts);
    ASSERT_FALSE(r.ok()) << "'" << ts << "'";
    EXPECT_EQ(r.error().code, -1102) << "'" << ts << "'";
    EXPECT_EQ(r.error().msg, bad_msg);
  }
  // A bad timestamp is reported before a bad recvWindow.
  auto both = check("abc", std::string("abc"));
  EXPECT_EQ(both.error().msg, bad_msg);
}

TEST(CheckTimestamp, ExpiresAtIsWhenTheRequestCouldNoLongerBeAccepted) {
  auto w = check(ms(kNow - 100), "1000");
  ASSERT_TRUE(w.ok());
  // Accepted while now - ts <= 1000, i.e. now <= ts + 1000.
  EXPECT_GE(w->expires_at_ms, kNow - 100 + 1000);
  EXPECT_LE(w->expires_at_ms, kNow - 100 + 1000 + 1);
  EXPECT_TRUE(check(ms(kNow - 100), "1000", kNow - 100 + 1000).ok());
  EXPECT_FALSE(check(ms(kNow - 100), "1000", w->expires_at_ms).ok());
}

}  // namespace
}  // namespace kg::auth
