#include "keys/key_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace kg::keys {
namespace {

std::shared_ptr<const KeyEntry> entry(const std::string& api_key, int64_t id) {
  auto e = std::make_shared<KeyEntry>();
  e->key.api_key = api_key;
  e->key.id = id;
  return e;
}

TEST(KeyIndex, PutReplacesFindsAndErases) {
  KeyIndex index;
  EXPECT_EQ(index.find("kgAKnothing"), nullptr);
  index.erase("kgAKnothing");  // erasing from an empty index is harmless
  const std::string key = "kgAK" + std::string(60, 'a');
  index.put(entry(key, 1));
  index.put(entry(key, 2));  // a change builds a new entry for the same key
  ASSERT_NE(index.find(key), nullptr);
  EXPECT_EQ(index.find(key)->key.id, 2);
  EXPECT_EQ(index.size(), 1u);
  index.erase(key);
  EXPECT_EQ(index.find(key), nullptr);
  EXPECT_EQ(index.size(), 0u);
}

// User data streams stay open only while the key behind them could still read the account.
TEST(KeyIndex, UsableForReadingFollowsTheKey) {
  KeyIndex index;
  const std::string key = "kgAK" + std::string(60, 'r');
  const int64_t now = 1'000'000;
  auto put = [&](auto&& change) {
    auto e = std::make_shared<KeyEntry>();
    e->key.api_key = key;
    e->key.user_id = 7;
    e->key.permissions = bit(Permission::kRead) | bit(Permission::kTrade);
    change(e->key);
    index.put(e);
  };
  EXPECT_FALSE(index.usable_for_reading(key, now));  // unknown
  put([](ApiKey&) {});
  EXPECT_TRUE(index.usable_for_reading(key, now));
  put([](ApiKey& k) { k.permissions = bit(Permission::kTrade); });  // READ taken away
  EXPECT_FALSE(index.usable_for_reading(key, now));
  put([](ApiKey& k) { k.read_only = true; });  // read-only keeps READ
  EXPECT_TRUE(index.usable_for_reading(key, now));
  put([](ApiKey& k) { k.active = false; });
  EXPECT_FALSE(index.usable_for_reading(key, now));
  put([&](ApiKey& k) { k.expires_at = now; });
  EXPECT_FALSE(index.usable_for_reading(key, now));
  put([](ApiKey&) {});
  index.set_user_blocked(7, true);
  EXPECT_FALSE(index.usable_for_reading(key, now));
  index.set_user_blocked(7, false);
  EXPECT_TRUE(index.usable_for_reading(key, now));
}

// Random puts and erases against std::map, with keys that share the 8 characters the hash reads
// (so their runs collide and erase must shift them back) and short keys (hashed whole), through
// growth from an empty index and from a reserved one.
TEST(KeyIndex, AgreesWithAMapUnderRandomPutsAndErases) {
  for (bool reserved : {false, true}) {
    SCOPED_TRACE(reserved ? "reserved" : "grown");
    KeyIndex index;
    if (reserved) index.reserve(3000);
    std::map<std::string, int64_t> want;
    std::mt19937_64 rng(7);
    auto make_key = [&](size_t n) {
      switch (n % 3) {
        case 0:  // the hash's 8 characters are the same for all of these: one long run
          return "kgAKsameSAME" + std::to_string(n) + std::string(40, 'x');
        case 1:
          return std::to_string(n);  // under 16 characters
        default:
          return "kgAK" + std::to_string(1000000 + n) + std::string(50, 'y');
      }
    };
    for (int step = 0; step < 40000; ++step) {
      const std::string key = make_key(rng() % 3000);
      if (rng() % 3 == 0) {
        index.erase(key);
        want.erase(key);
      } else {
        index.put(entry(key, step));
        want[key] = step;
      }
      if (step % 997 == 0) {
        ASSERT_EQ(index.size(), want.size());
        for (size_t n = 0; n < 3000; ++n) {
          const std::string k = make_key(n);
          auto found = index.find(k);
          auto it = want.find(k);
          ASSERT_EQ(found != nullptr, it != want.end()) << k;
          if (found) {
            ASSERT_EQ(found->key.id, it->second) << k;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace kg::keys
