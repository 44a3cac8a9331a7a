// The limits owners set on their keys: weight per minute and orders per 10 seconds, in windows
// aligned to the clock; a refused request is not counted; keys without limits are not tracked.

#include "auth/key_limiter.hpp"

#include <gtest/gtest.h>

namespace kg::auth {
namespace {

keys::ApiKey key(int64_t id, int64_t orders, int64_t weight) {
  keys::ApiKey k;
  k.id = id;
  k.limits = {orders, weight};
  return k;
}

TEST(KeyLimiter, OrdersPerTenSecondsInClockWindows) {
  KeyLimiter l;
  const auto k = key(1, 2, 0);
  const int64_t t0 = 1'700'000'000'000;  // a multiple of 10 s
  EXPECT_TRUE(l.admit(k, 1, true, t0).passed);
  EXPECT_TRUE(l.admit(k, 1, true, t0 + 1).passed);
  auto refused = l.admit(k, 1, true, t0 + 2'500);
  EXPECT_FALSE(refused.passed);
  EXPECT_TRUE(refused.orders);
  EXPECT_EQ(refused.limit, 2);
  EXPECT_EQ(refused.retry_after_s, 8);  // 7.5 s left, rounded up
  EXPECT_TRUE(l.admit(k, 1, false, t0 + 3'000).passed);  // reads are not orders
  EXPECT_TRUE(l.admit(k, 1, true, t0 + 10'000).passed);   // the next window
  EXPECT_TRUE(l.admit(key(2, 2, 0), 1, true, t0 + 10'000).passed);  // another key has its own
}

TEST(KeyLimiter, WeightPerMinuteAndRefusalsDoNotCount) {
  KeyLimiter l;
  const auto k = key(1, 0, 50);
  const int64_t t0 = 1'699'999'980'000;  // a multiple of a minute
  EXPECT_TRUE(l.admit(k, 20, false, t0).passed);
  EXPECT_TRUE(l.admit(k, 20, true, t0).passed);
  auto refused = l.admit(k, 20, false, t0 + 1'000);
  EXPECT_FALSE(refused.passed);
  EXPECT_FALSE(refused.orders);
  EXPECT_EQ(refused.limit, 50);
  EXPECT_TRUE(l.admit(k, 10, false, t0 + 2'000).passed);  // 40 + 10: the refused 20 was not counted
  EXPECT_FALSE(l.admit(k, 1, false, t0 + 3'000).passed);
  EXPECT_TRUE(l.admit(k, 50, false, t0 + 60'000).passed);
}

TEST(KeyLimiter, KeysWithoutLimitsAlwaysPass) {
  KeyLimiter l;
  const auto k = key(1, 0, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(l.admit(k, 100, true, 1'700'000'000'000).passed);
}

TEST(KeyLimits, LoweringIsWithinRaisingOrRemovingIsNot) {
  const keys::KeyLimits none{0, 0};
  const keys::KeyLimits some{20, 600};
  EXPECT_TRUE((keys::KeyLimits{10, 600}).within(some));
  EXPECT_TRUE(some.within(some));
  EXPECT_TRUE(some.within(none));            // adding a limit narrows the key
  EXPECT_FALSE(none.within(some));           // removing one widens it
  EXPECT_FALSE((keys::KeyLimits{21, 600}).within(some));
  EXPECT_FALSE((keys::KeyLimits{20, 0}).within(some));
}

}  // namespace
}  // namespace kg::auth
