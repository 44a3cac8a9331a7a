#include "common/result.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <type_traits>

#include "common/clock.hpp"
#include "common/errors.hpp"

namespace kg {
namespace {

TEST(MakeError, WithoutArgumentsKeepsTheMessage) {
  Error e = make_error(err::kDuplicateParam);
  EXPECT_EQ(e.code, -1101);
  EXPECT_EQ(e.http, 400);
  EXPECT_EQ(e.msg, "Duplicate values for a parameter detected.");
}

TEST(MakeError, FormatsItsArguments) {
  Error e = make_error(err::kIllegalChars, "symbol", "A-Z");
  EXPECT_EQ(e.code, -1100);
  EXPECT_EQ(e.http, 400);
  EXPECT_EQ(e.msg, "Illegal characters found in parameter 'symbol'; legal range is 'A-Z'.");

  Error locked = make_error(err::kLoginLocked, 900);
  EXPECT_EQ(locked.code, -7102);
  EXPECT_EQ(locked.http, 429);
  EXPECT_EQ(locked.msg, "Too many failed login attempts; try again in 900 seconds.");

  Error weak = make_error(err::kWeakPassword, size_t{10}, size_t{128});
  EXPECT_EQ(weak.msg, "Password must be 10 to 128 characters long.");

  Error body = make_error(err::kBodyTooLarge, 1048576);
  EXPECT_EQ(body.http, 413);
  EXPECT_EQ(body.msg, "Request body too large; the limit is 1048576 bytes.");
}

TEST(MakeError, DefaultErrorIsAnUnknown500) {
  Error e;
  EXPECT_EQ(e.code, -1000);
  EXPECT_EQ(e.http, 500);
}

TEST(ErrorDefs, StatusesMatchTheirMeaning) {
  EXPECT_EQ(err::kUnauthenticated.http, 401);
  EXPECT_EQ(err::kBadCredentials.http, 401);
  EXPECT_EQ(err::kEmailTaken.http, 409);
  EXPECT_EQ(err::kNotFound.http, 404);
  EXPECT_EQ(err::kMethodNotAllowed.http, 405);
  EXPECT_EQ(err::kTotpLocked.http, 429);
  EXPECT_EQ(err::kStorage.http, 500);
  EXPECT_EQ(err::kUnavailable.http, 503);
}

TEST(Result, HoldsAValue) {
  Result<int> r = 42;
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 42);
  EXPECT_EQ(*r, 42);
}

TEST(Result, HoldsAnError) {
  Result<int> r = make_error(err::kBadSymbol);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error().code, -1121);
  EXPECT_EQ(r.error().msg, "Invalid symbol.");
}

TEST(Result, ArrowAndMoveOnlyValues) {
  Result<std::string> s = std::string("abc");
  EXPECT_EQ(s->size(), 3u);
  s->push_back('d');
  EXPECT_EQ(s.value(), "abcd");

  Result<std::unique_ptr<std::string>> owned = std::make_unique<std::string>("hi");
  ASSERT_TRUE(owned.ok());
  std::unique_ptr<std::string> taken = std::move(owned).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, "hi");
}

TEST(Result, NotImplicitlyConvertibleToBool) {
  static_assert(!std::is_convertible_v<Result<int>, bool>);
  static_assert(std::is_constructible_v<bool, Result<int>>);
}

TEST(Status, OkAndError) {
  Status ok = ok_status();
  EXPECT_TRUE(ok.ok());
  Status bad = make_error(err::kNotFound);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, -7000);
  EXPECT_EQ(bad.error().http, 404);
}

TEST(ManualClock, IsSetAndAdvancedByHand) {
  ManualClock clock(1'700'000'000'500);
  EXPECT_EQ(clock.now_ms(), 1'700'000'000'500);
  EXPECT_EQ(clock.now_s(), 1'700'000'000);
  clock.advance_ms(1'500);
  EXPECT_EQ(clock.now_ms(), 1'700'000'002'000);
  EXPECT_EQ(clock.now_s(), 1'700'000'002);
  clock.set_ms(5);
  EXPECT_EQ(clock.now_ms(), 5);
  EXPECT_EQ(clock.now_s(), 0);
}

TEST(SystemClock, FollowsTheWallClock) {
  using namespace std::chrono;
  SystemClock clock;
  const int64_t before =
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const int64_t now = clock.now_ms();
  const int64_t now_s = clock.now_s();
  const int64_t after = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
  EXPECT_LE(before / 1000, now_s);
  EXPECT_LE(now_s, after / 1000);
}

}  // namespace
}  // namespace kg
