// Binance's rate limits on a manual clock: fixed clock-aligned windows, weights, per-IP (per-/64)
// isolation, 429 then the 418 ban growing from 2 minutes to 3 days, header values, ORDERS per
// account, bounded memory, and no lost counts across threads.

#include "auth/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kg::auth {
namespace {

using Verdict = RateLimiter::Verdict;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kDay = 86'400'000;
// 2023-11-14T22:00:00Z: the start of an hour (so of every 5-minute and 10-second window), not of a day.
constexpr int64_t kT0 = 1'699'999'200'000;
static_assert(kT0 % 3'600'000 == 0 && kT0 % kDay != 0);

std::vector<RateLimit> weight_per_minute(int64_t limit) { return {{"REQUEST_WEIGHT", "MINUTE", 1, limit}}; }

RateLimitPolicy strikes(int n) {
  RateLimitPolicy p;
  p.strikes_before_ban = n;
  return p;
}

// Drives `ip` over its limit of `limit` weight per minute and `n` more requests.
void exhaust(RateLimiter& rl, const std::string& ip, int64_t limit) {
  for (int64_t i = 0; i < limit; ++i) ASSERT_EQ(rl.admit_ip(ip, 1).verdict, Verdict::kPass);
}

TEST(RateLimiter, HeadersAndMessagesFollowTheConfiguredIntervals) {
  ManualClock clock(kT0);
  RateLimiter rl({{"RAW_REQUESTS", "MINUTE", 5, 61000},
                  {"REQUEST_WEIGHT", "MINUTE", 1, 6000},
                  {"ORDERS", "SECOND", 10, 50},
                  {"ORDERS", "DAY", 1, 160000},
                  {"REQUEST_WEIGHT", "SECOND", 1, 100},
                  {"REQUEST_WEIGHT", "HOUR", 2, 100000}},
                 clock);
  ASSERT_EQ(rl.ip_limits().size(), 4u);  // the weight limits first, in their order, then RAW
  EXPECT_EQ(rl.ip_limits()[0].header, "X-MBX-USED-WEIGHT-1M");
  EXPECT_EQ(rl.ip_limits()[1].header, "X-MBX-USED-WEIGHT-1S");
  EXPECT_EQ(rl.ip_limits()[2].header, "X-MBX-USED-WEIGHT-2H");
  EXPECT_EQ(rl.ip_limits()[3].header, "");  // RAW_REQUESTS has no header
  EXPECT_TRUE(rl.ip_limits()[3].raw);
  EXPECT_EQ(rl.ip_limits()[3].window_ms, 5 * kMinute);
  ASSERT_EQ(rl.order_limits().size(), 2u);
  EXPECT_EQ(rl.order_limits()[0].header, "X-MBX-ORDER-COUNT-10S");
  EXPECT_EQ(rl.order_limits()[1].header, "X-MBX-ORDER-COUNT-1D");
  EXPECT_EQ(rl.ip_limits()[0].per, "1 MINUTE");
  EXPECT_EQ(rl.order_limits()[0].per, "10 SECOND");
}

TEST(RateLimiter, WeightsAddUpAndTheHeaderValuesCountThisRequest) {
  ManualClock clock(kT0 + 1234);
  RateLimiter rl({{"REQUEST_WEIGHT", "MINUTE", 1, 100}, {"RAW_REQUESTS", "MINUTE", 1, 1000}}, clock);
  auto r = rl.admit_ip("10.0.0.1", 20);
  EXPECT_EQ(r.verdict, Verdict::kPass);
  EXPECT_TRUE(r.counted);
  EXPECT_EQ(r.used[0], 20);
  EXPECT_EQ(r.used[1], 1);
  r = rl.admit_ip("10.0.0.1", 1);
  EXPECT_EQ(r.used[0], 21);
  EXPECT_EQ(r.used[1], 2);
  r = rl.admit_ip("10.0.0.1", 10);
  EXPECT_EQ(r.used[0], 31);
  EXPECT_EQ(r.used[1], 3);
}

TEST(RateLimiter, WindowsAreFixedAndAlignedToTheClock) {
  ManualClock clock(kT0 + 59'000);  // one second before the minute ends
  RateLimiter rl(weight_per_minute(10), clock);
  EXPECT_EQ(rl.admit_ip("10.0.0.1", 10).verdict, Verdict::kPass);
  auto over = rl.admit_ip("10.0.0.1", 1);
  EXPECT_EQ(over.verdict, Verdict::kTooMany);
  EXPECT_EQ(over.retry_after_s, 1);  // the window ends at the minute, not a minute after the first request
  EXPECT_EQ(over.used[0], 11);       // refused requests count too
  clock.set_ms(kT0 + kMinute - 1);
  EXPECT_EQ(rl.admit_ip("10.0.0.1", 1).verdict, Verdict::kTooMany);
  clock.set_ms(kT0 + kMinute);  // a new window: everything is forgiven at once
  auto fresh = rl.admit_ip("10.0.0.1", 1);
  EXPECT_EQ(fresh.verdict, Verdict::kPass);
  EXPECT_EQ(fresh.used[0], 1);
}

TEST(RateLimiter, RetryAfterRoundsUpToWholeSeconds) {
  ManualClock clock(kT0 + 10'500);
  RateLimiter rl(weight_per_minute(1), clock);
  rl.admit_ip("10.0.0.1", 1);
  auto over = rl.admit_ip("10.0.0.1", 1);
  ASSERT_EQ(over.verdict, Verdict::kTooMany);
  EXPECT_EQ(over.retry_after_s, 50);  // 49.5 s left
}

TEST(RateLimiter, TheWeightOfOneRequestMayExceedTheLimitAlone) {
  ManualClock clock(kT0);
  RateLimiter rl(weight_per_minute(10), clock);
  EXPECT_EQ(rl.admit_ip("10.0.0.1", 20).verdict, Verdict::kTooMany);
}

TEST(RateLimiter, TheRefusalIsBinancesMinus1003WithTheLimitInIt) {
  ManualClock clock(kT0);
  RateLimiter rl(weight_per_minute(6000), clock);
  auto r = rl.admit_ip("10.0.0.1", 6001);
  ASSERT_EQ(r.verdict, Verdict::kTooMany);
  Error e = rl.error(r);
  EXPECT_EQ(e.code, -1003);
  EXPECT_EQ(e.http, 429);
  EXPECT_EQ(e.msg,
            "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket "
            "Streams for live updates to avoid polling the API.");
}

TEST(RateLimiter, RawRequestsCountRequestsNotWeight) {
  ManualClock clock(kT0);
  RateLimiter rl({{"REQUEST_WEIGHT", "MINUTE", 1, 1000}, {"RAW_REQUESTS", "MINUTE", 5, 3}}, clock);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(rl.admit_ip("10.0.0.1", 50).verdict, Verdict::kPass);
  auto r = rl.admit_ip("10.0.0.1", 1);
  ASSERT_EQ(r.verdict, Verdict::kTooMany);
  EXPECT_EQ(r.limit, 1);
  EXPECT_EQ(r.used[0], 151);
  EXPECT_EQ(r.used[1], 4);
  EXPECT_EQ(r.retry_after_s, 5 * 60);  // kT0 starts a 5-minute window too
  Error e = rl.error(r);
  EXPECT_EQ(e.code, -1003);
  EXPECT_EQ(e.http, 429);
  EXPECT_EQ(e.msg,
            "Too many requests; current limit is 3 requests per 5 MINUTE. Please use WebSocket Streams for live "
            "updates to avoid polling the API.");
}

TEST(RateLimiter, WhenTwoLimitsAreOverTheWeightIsNamedAndRetryAfterCoversBoth) {
  ManualClock clock(kT0 + 30'000);
  RateLimiter rl({{"RAW_REQUESTS", "MINUTE", 5, 1}, {"REQUEST_WEIGHT", "MINUTE", 1, 1}}, clock);
  rl.admit_ip("10.0.0.1", 1);
  auto r = rl.admit_ip("10.0.0.1", 1);
  ASSERT_EQ(r.verdict, Verdict::kTooMany);
  EXPECT_EQ(r.limit, 0);                           // REQUEST_WEIGHT
  EXPECT_EQ(r.retry_after_s, 5 * 60 - 30);         // until the 5-minute window ends too
  EXPECT_NE(rl.error(r).msg.find("request weight per 1 MINUTE"), std::string::npos);
}

TEST(RateLimiter, EachIpHasItsOwnCountersAndIpv6CountsPerSlash64) {
  ManualClock clock(kT0);
  RateLimiter rl(weight_per_minute(5), clock);
  exhaust(rl, "192.0.2.1", 5);
  EXPECT_EQ(rl.admit_ip("192.0.2.1", 1).verdict, Verdict::kTooMany);
  EXPECT_EQ(rl.admit_ip("::ffff:192.0.2.1", 1).verdict, Verdict::kTooMany);  // the same client
  auto other = rl.admit_ip("192.0.2.2", 1);
  EXPECT_EQ(other.verdict, Verdict::kPass);
  EXPECT_EQ(other.used[0], 1);

  exhaust(rl, "2001:db8:1:2::1", 5);
  EXPECT_EQ(rl.admit_ip("2001:db8:1:2:ffff::9", 1).verdict, Verdict::kTooMany);  // same /64
  EXPECT_EQ(rl.admit_ip("2001:db8:1:3::1", 1).verdict, Verdict::kPass);          // next /64
  EXPECT_EQ(rl.admit_ip("::1", 1).verdict, Verdict::kPass);
  EXPECT_EQ(rl.admit_ip("0.0.0.0", 1).verdict, Verdict::kPass);  // not ::/64
}

TEST(RateLimiter, KeepingOnAfter429sIsABanOf2MinutesAndBannedRequestsAreNotCounted) {
  ManualClock clock(kT0 + 1000);
  RateLimiter rl(weight_per_minute(5), clock, strikes(3));
  exhaust(rl, "10.0.0.1", 5);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(rl.admit_ip("10.0.0.1", 1).verdict, Verdict::kTooMany) << i;
  auto ban = rl.admit_ip("10.0.0.1", 1);
  ASSERT_EQ(ban.verdict, Verdict::kBanned);
  EXPECT_TRUE(ban.ban_started);
  EXPECT_TRUE(ban.counted);
  EXPECT_EQ(ban.retry_after_s, 120);
  EXPECT_EQ(ban.banned_until_ms, kT0 + 1000 + 120'000);
  Error e = rl.error(ban);
  EXPECT_EQ(e.code, -1003);
  EXPECT_EQ(e.http, 418);
  EXPECT_EQ(e.msg, "Way too much request weight used; IP banned until " + std::to_string(kT0 + 121'000) +
                       ". Please use WebSocket Streams for live updates to avoid bans.");

  clock.advance_ms(30'000);
  auto banned = rl.admit_ip("10.0.0.1", 1);
  EXPECT_EQ(banned.verdict, Verdict::kBanned);
  EXPECT_FALSE(banned.ban_started);
  EXPECT_FALSE(banned.counted);
  EXPECT_EQ(banned.retry_after_s, 90);
  EXPECT_EQ(rl.admit_ip("10.0.0.2", 1).verdict, Verdict::kPass);  // only that IP

  clock.set_ms(kT0 + 121'000 - 1);
  EXPECT_EQ(rl.admit_ip("10.0.0.1", 1).verdict, Verdict::kBanned);
  clock.set_ms(kT0 + 121'000);  // the ban is over, and this is a new minute
  auto after = rl.admit_ip("10.0.0.1", 1);
  EXPECT_EQ(after.verdict, Verdict::kPass);
  EXPECT_EQ(after.used[0], 1);
}

TEST(RateLimiter, A429ClientThatWaitsForTheWindowIsNeverBanned) {
  ManualClock clock(kT0);
  RateLimiter rl(weight_per_minute(5), clock, strikes(3));
  for (int minute = 0; minute < 10; ++minute) {
    clock.set_ms(kT0 + minute * kMinute);
    exhaust(rl, "10.0.0.1", 5);
    // Three 429s each minute (in flight when the first came back): the strikes start over with the window.
    for (int i = 0; i < 3; ++i) ASSERT_EQ(rl.admit_ip("10.0.0.1", 1).verdict, Verdict::kTooMany) << minute;
  }
}

TEST(RateLimiter, BansDoubleForRepeatOffendersUpTo3DaysAndAreForgottenAfterADay) {
  ManualClock clock(kT0);
  RateLimiter rl(weight_per_minute(1), clock, strikes(0));  // the first 429 after the limit is a ban
  auto offend = [&] {
    // A fresh minute: one request passes, the next is over, the one after is banned.
    clock.set_ms(((clock.now_ms() / kMinute) + 1) * kMinute);
    EXPECT_EQ(rl.admit_ip("10.0.0.1", 1).verdict, Verdict::kPass);
    auto r = rl.admit_ip("10.0.0.1", 1);
    EXPECT_EQ(r.verdict, Verdict::kBanned);
    EXPECT_TRUE(r.ban_started);
    clock.set_ms(r.banned_until_ms);  // serve it out
    return r.retry_after_s;
  };
  std::vector<int64_t> minutes;
  for (int i = 0; i < 14; ++i) minutes.push_back(offend());
  const std::vector<int64_t> expected = {2 * 60,    4 * 60,    8 * 60,     16 * 60,    32 * 60,
                                         64 * 60,   128 * 60,  256 * 60,   512 * 60,   1024 * 60,
                                         2048 * 60, 4096 * 60, 3 * 86'400, 3 * 86'400};
  EXPECT_EQ(minutes, expected);
  // A day after the last ban ended (and no new one), the next starts at 2 minutes again.
  clock.advance_ms(kDay);
  EXPECT_EQ(offend(), 120);
  EXPECT_EQ(offend(), 240);
  clock.advance_ms(kDay - kMinute * 2);  // not quite a day since
  EXPECT_EQ(offend(), 480);
}

TEST(RateLimiter, OrdersAreCountedPerAccountOverEveryOrdersInterval) {
  ManualClock clock(kT0 + 3'000);
  RateLimiter rl({{"ORDERS", "SECOND", 10, 3}, {"ORDERS", "DAY", 1, 5}, {"REQUEST_WEIGHT", "MINUTE", 1, 6000}}, clock);
  for (int i = 1; i <= 3; ++i) {
    auto r = rl.admit_order(7);
    ASSERT_TRUE(r.passed);
    EXPECT_EQ(r.count[0], i);
    EXPECT_EQ(r.count[1], i);
  }
  auto refused = rl.admit_order(7);
  ASSERT_FALSE(refused.passed);
  EXPECT_EQ(refused.limit, 0);
  EXPECT_EQ(refused.retry_after_s, 7);  // the 10-second window started at kT0
  EXPECT_EQ(refused.count[0], 3);       // a refused order is not counted
  Error e = rl.error(refused);
  EXPECT_EQ(e.code, -1015);
  EXPECT_EQ(e.http, 429);
  EXPECT_EQ(e.msg, "Too many new orders; current limit is 3 orders per 10 SECOND.");

  EXPECT_TRUE(rl.admit_order(8).passed);  // another account
  EXPECT_EQ(rl.admit_ip("10.0.0.1", 1).verdict, Verdict::kPass);  // orders do not touch IP weight

  clock.set_ms(kT0 + 10'000);
  auto next = rl.admit_order(7);
  ASSERT_TRUE(next.passed);
  EXPECT_EQ(next.count[0], 1);
  EXPECT_EQ(next.count[1], 4);
  EXPECT_TRUE(rl.admit_order(7).passed);
  auto day = rl.admit_order(7);
  ASSERT_FALSE(day.passed);
  EXPECT_EQ(day.limit, 1);
  EXPECT_EQ(rl.error(day).msg, "Too many new orders; current limit is 5 orders per 1 DAY.");
  const int64_t day_end = (kT0 / kDay + 1) * kDay;
  EXPECT_EQ(day.retry_after_s, (day_end - (kT0 + 10'000) + 999) / 1000);
  clock.set_ms(day_end);
  EXPECT_TRUE(rl.admit_order(7).passed);
}

TEST(RateLimiter, WithoutLimitsNothingIsRefused) {
  ManualClock clock(kT0);
  RateLimiter rl({}, clock);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(rl.admit_ip("10.0.0.1", 100).verdict, Verdict::kPass);
  EXPECT_TRUE(rl.admit_order(1).passed);
}

TEST(RateLimiter, BadLimitsAreRefusedNamingTheEntry) {
  auto message = [](std::vector<RateLimit> limits) {
    try {
      RateLimiter::check(limits);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message({{"REQUEST_WEIGHT", "MINUTE", 1, 6000}}), "");
  EXPECT_NE(message({{"WEIGHT", "MINUTE", 1, 6000}}).find("type must be"), std::string::npos);
  EXPECT_NE(message({{"ORDERS", "WEEK", 1, 6000}}).find("interval must be"), std::string::npos);
  EXPECT_NE(message({{"ORDERS", "DAY", 0, 6000}}).find("interval_num"), std::string::npos);
  EXPECT_NE(message({{"ORDERS", "DAY", 1, 0}}).find("limit must be"), std::string::npos);
  EXPECT_NE(message({{"RAW_REQUESTS", "DAY", 1, 3'000'000'000}}).find("limit must be"), std::string::npos);
  std::vector<RateLimit> many(7, {"REQUEST_WEIGHT", "MINUTE", 1, 10});
  EXPECT_NE(message(many).find("at most 6"), std::string::npos);
  ManualClock clock(kT0);
  EXPECT_THROW(RateLimiter({{"ORDERS", "DAY", 1, 0}}, clock), std::runtime_error);
}

TEST(RateLimiter, MemoryIsBoundedAndExpiredEntriesMakeRoom) {
  ManualClock clock(kT0);
  RateLimitPolicy policy = strikes(0);
  policy.max_ips = 2048;  // 64 slots per shard, at most 32 live
  RateLimiter rl(weight_per_minute(1), clock, policy);
  // A ban made before the flood survives it.
  rl.admit_ip("198.51.100.7", 1);
  ASSERT_EQ(rl.admit_ip("198.51.100.7", 1).verdict, Verdict::kBanned);
  for (uint32_t i = 0; i < 100'000; ++i) {
    const std::string ip = "10." + std::to_string(i >> 16 & 255) + "." + std::to_string(i >> 8 & 255) + "." +
                           std::to_string(i & 255);
    ASSERT_EQ(rl.admit_ip(ip, 1).verdict, Verdict::kPass);  // untracked ones pass (fail-open)
  }
  EXPECT_LE(rl.tracked_ips(), 64u * 32u);
  EXPECT_GT(rl.tracked_ips(), 1000u);
  EXPECT_EQ(rl.admit_ip("198.51.100.7", 1).verdict, Verdict::kBanned);
  // Tracked ones are still limited.
  EXPECT_EQ(rl.admit_ip("10.0.0.0", 1).verdict, Verdict::kBanned);

  clock.advance_ms(kMinute);  // the flood's windows end: its slots are free again
  EXPECT_EQ(rl.tracked_ips(), 2u);  // the two bans (and their memory) only
  for (uint32_t i = 0; i < 1000; ++i) {
    const std::string ip = "172.16." + std::to_string(i >> 8) + "." + std::to_string(i & 255);
    ASSERT_EQ(rl.admit_ip(ip, 1).verdict, Verdict::kPass);
  }
  EXPECT_EQ(rl.tracked_ips(), 1002u);
  EXPECT_EQ(rl.admit_ip("172.16.0.0", 1).verdict, Verdict::kBanned);  // tracked again
  clock.advance_ms(2 * kDay);
  EXPECT_EQ(rl.tracked_ips(), 0u);
}

TEST(RateLimiter, ConcurrentRequestsLoseNoCounts) {
  ManualClock clock(kT0);
  RateLimiter rl({{"REQUEST_WEIGHT", "MINUTE", 1, 1'000'000}, {"ORDERS", "DAY", 1, 1'000'000}}, clock);
  constexpr int kThreads = 4, kEach = 20'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        rl.admit_ip("10.0.0.1", 2);
        rl.admit_ip("10.1.0." + std::to_string(t), 1);
        rl.admit_order(42);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(rl.admit_ip("10.0.0.1", 0).used[0], 2 * kThreads * kEach);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(rl.admit_ip("10.1.0." + std::to_string(t), 0).used[0], kEach);
  EXPECT_EQ(rl.admit_order(42).count[0], kThreads * kEach + 1);
}

}  // namespace
}  // namespace kg::auth
