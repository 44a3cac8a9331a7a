// The replay guard: a signature is accepted once per key while its request could still be accepted.

#include "auth/replay_guard.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace kg::auth {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr const char* kKey = "kgAKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* kOtherKey = "kgAKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

std::string sig(int i) { return "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b28" + std::to_string(i); }

TEST(ReplayGuard, FirstUseThenReplay) {
  ReplayGuard guard;
  EXPECT_TRUE(guard.first_use(kKey, sig(1), kNow + 5000, kNow));
  EXPECT_FALSE(guard.first_use(kKey, sig(1), kNow + 5000, kNow));
  EXPECT_FALSE(guard.first_use(kKey, sig(1), kNow + 9000, kNow + 100));
  EXPECT_TRUE(guard.first_use(kKey, sig(2), kNow + 5000, kNow));
}

TEST(ReplayGuard, SameSignatureUnderAnotherKeyIsNotAReplay) {
  ReplayGuard guard;
  EXPECT_TRUE(guard.first_use(kKey, sig(1), kNow + 5000, kNow));
  EXPECT_TRUE(guard.first_use(kOtherKey, sig(1), kNow + 5000, kNow));
  EXPECT_FALSE(guard.first_use(kOtherKey, sig(1), kNow + 5000, kNow));
  EXPECT_FALSE(guard.first_use(kKey, sig(1), kNow + 5000, kNow));
}

TEST(ReplayGuard, AcceptedAgainAfterExpiry) {
  ReplayGuard guard;
  EXPECT_TRUE(guard.first_use(kKey, sig(1), kNow + 5000, kNow));
  EXPECT_FALSE(guard.first_use(kKey, sig(1), kNow + 5000, kNow + 4999));
  EXPECT_FALSE(guard.first_use(kKey, sig(1), kNow + 5000, kNow + 5000));  // still live at expires_at
  EXPECT_TRUE(guard.first_use(kKey, sig(1), kNow + 10'000, kNow + 5001));
  EXPECT_FALSE(guard.first_use(kKey, sig(1), kNow + 10'000, kNow + 5002));
}

TEST(ReplayGuard, EmptyInputsAreOrdinaryValues) {
  ReplayGuard guard;
  EXPECT_TRUE(guard.first_use("", "", kNow + 1, kNow));
  EXPECT_FALSE(guard.first_use("", "", kNow + 1, kNow));
  EXPECT_TRUE(guard.first_use(kKey, "", kNow + 1, kNow));
}

TEST(ReplayGuard, HundredThousandDistinctSignaturesThenAllReplays) {
  // Far more than the initial tables hold: every shard rebuilds and grows several times.
  auto guard = std::make_unique<ReplayGuard>();
  constexpr int kCount = 100'000;
  int first = 0;
  for (int i = 0; i < kCount; ++i) first += guard->first_use(kKey, sig(i), kNow + 60'000, kNow + i / 100);
  EXPECT_EQ(first, kCount);
  int replays = 0;
  for (int i = 0; i < kCount; ++i) replays += !guard->first_use(kKey, sig(i), kNow + 60'000, kNow + 1000);
  EXPECT_EQ(replays, kCount);
  // And under another key none of them is a replay.
  int other = 0;
  for (int i = 0; i < 1000; ++i) other += guard->first_use(kOtherKey, sig(i), kNow + 60'000, kNow + 1000);
  EXPECT_EQ(other, 1000);
}

TEST(ReplayGuard, ExpiredSlotsAreReusedWithoutLosingLiveEntries) {
  // Rounds of short-lived signatures: each round's entries land in slots the previous round left
  // expired. Within a round every entry must still be found; after it they must be free.
  auto guard = std::make_unique<ReplayGuard>();
  int64_t now = kNow;
  int wrong = 0;
  for (int round = 0; round < 40; ++round) {
    const int base = round * 3000;
    for (int i = 0; i < 3000; ++i) wrong += !guard->first_use(kKey, sig(base + i), now + 10, now);
    for (int i = 0; i < 3000; ++i) wrong += guard->first_use(kKey, sig(base + i), now + 10, now + 5);
    // The previous round's signatures have expired: accepted again (and then replays).
    if (round > 0) {
      for (int i = 0; i < 100; ++i) wrong += !guard->first_use(kKey, sig(base - 3000 + i), now + 10, now + 5);
      for (int i = 0; i < 100; ++i) wrong += guard->first_use(kKey, sig(base - 3000 + i), now + 10, now + 6);
    }
    now += 20;
  }
  EXPECT_EQ(wrong, 0);
}

TEST(ReplayGuard, LongLivedEntriesSurviveRebuildsAmongShortLivedOnes) {
  auto guard = std::make_unique<ReplayGuard>();
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(guard->first_use(kKey, "long" + std::to_string(i), kNow + 60'000, kNow));
  int64_t now = kNow;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 5000; ++i) guard->first_use(kKey, sig(round * 5000 + i), now + 1, now);
    now += 2;
  }
  int replays = 0;
  for (int i = 0; i < 500; ++i) replays += !guard->first_use(kKey, "long" + std::to_string(i), kNow + 60'000, now);
  EXPECT_EQ(replays, 500);
}

TEST(ReplayGuard, ConcurrentUseAcceptsEachSignatureExactlyOnce) {
  ReplayGuard guard;
  constexpr int kThreads = 4;
  constexpr int kCount = 5000;
  std::vector<int> accepted(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCount; ++i) accepted[static_cast<size_t>(t)] += guard.first_use(kKey, sig(i), kNow + 60'000, kNow);
    });
  }
  for (auto& th : threads) th.join();
  int total = 0;
  for (int a : accepted) total += a;
  EXPECT_EQ(total, kCount);
}

}  // namespace
}  // namespace kg::auth
