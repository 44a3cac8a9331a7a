// A key's withdrawal rules: the stored text and back, malformed text refused, the address list,
// the caps, and `within` (may a change go through without 2FA: only if it narrows the rules).

#include "keys/withdraw_rules.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace kg::keys {
namespace {

WithdrawRules rules(std::vector<int64_t> ids, std::vector<WithdrawCap> caps) {
  WithdrawRules r;
  r.address_ids = std::move(ids);
  r.daily_caps = std::move(caps);
  return r;
}

TEST(WithdrawRules, TextRoundTrips) {
  const WithdrawRules r = rules({3, 7, 12}, {{"BTC", 50'000'000}, {"USDT", 100'000'000'000}});
  EXPECT_EQ(r.ids_text(), "3,7,12");
  EXPECT_EQ(r.caps_text(), "BTC:50000000,USDT:100000000000");
  const auto back = WithdrawRules::parse(r.ids_text(), r.caps_text());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, r);
  // Nothing: any address, no cap.
  const WithdrawRules none;
  EXPECT_EQ(none.ids_text(), "");
  EXPECT_EQ(none.caps_text(), "");
  const auto empty = WithdrawRules::parse("", "");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, none);
  // One of each, and the largest amount.
  const WithdrawRules one = rules({1}, {{"ETH", INT64_MAX}});
  EXPECT_EQ(WithdrawRules::parse(one.ids_text(), one.caps_text()), one);
  EXPECT_EQ(WithdrawRules::parse("5", ""), rules({5}, {}));
  EXPECT_EQ(WithdrawRules::parse("", "ETH:1"), rules({}, {{"ETH", 1}}));
}

TEST(WithdrawRules, MalformedTextIsRefused) {
  for (const char* ids : {"x", "3,x", "3,,7", ",3", "0", "-1", "3 ,7", " 3", "3.5", "+3", "99999999999999999999"}) {
    EXPECT_EQ(WithdrawRules::parse(ids, ""), std::nullopt) << "ids '" << ids << "'";
  }
  for (const char* caps : {"BTC", "BTC:", ":5", "BTC:0", "BTC:-5", "BTC:1.5", "BTC:x", ",BTC:5",
                           "BTC:5,,ETH:1", "BTC:5:6", "BTC:99999999999999999999", "BTC: 5"}) {
    EXPECT_EQ(WithdrawRules::parse("", caps), std::nullopt) << "caps '" << caps << "'";
  }
}

// A separator with nothing after it is as malformed as one with nothing before it (",3" and
// "3,,7" are refused): stored text that ids_text/caps_text could not have written.
TEST(WithdrawRules, ATrailingSeparatorIsMalformed) {
  EXPECT_EQ(WithdrawRules::parse("3,", ""), std::nullopt);
  EXPECT_EQ(WithdrawRules::parse("", "BTC:5,"), std::nullopt);
}

TEST(WithdrawRules, TheAddressListAndTheCaps) {
  const WithdrawRules any;
  EXPECT_TRUE(any.allows_address(1));
  EXPECT_TRUE(any.allows_address(999));
  EXPECT_EQ(any.cap_for("BTC"), nullptr);

  const WithdrawRules listed = rules({3, 7}, {{"BTC", 50}, {"ETH", 70}});
  EXPECT_TRUE(listed.allows_address(3));
  EXPECT_TRUE(listed.allows_address(7));
  EXPECT_FALSE(listed.allows_address(4));
  EXPECT_FALSE(listed.allows_address(0));
  ASSERT_NE(listed.cap_for("ETH"), nullptr);
  EXPECT_EQ(listed.cap_for("ETH")->amount, 70);
  EXPECT_EQ(listed.cap_for("BTC")->amount, 50);
  EXPECT_EQ(listed.cap_for("USDT"), nullptr);
  EXPECT_EQ(listed.cap_for("btc"), nullptr);  // asset names are exact
}

TEST(WithdrawRules, NarrowerRulesAreWithin) {
  const WithdrawRules old = rules({3, 7}, {{"BTC", 100}});
  EXPECT_TRUE(old.within(old));
  // Fewer addresses, a lower cap, an added cap: within.
  EXPECT_TRUE(rules({3}, {{"BTC", 100}}).within(old));
  EXPECT_TRUE(rules({3, 7}, {{"BTC", 99}}).within(old));
  EXPECT_TRUE(rules({7}, {{"BTC", 1}, {"ETH", 5}}).within(old));
  EXPECT_TRUE(rules({3, 7}, {{"ETH", 5}, {"BTC", 100}}).within(old));  // order does not matter
  // From "anything" every list and every cap is narrower.
  const WithdrawRules any;
  EXPECT_TRUE(any.within(any));
  EXPECT_TRUE(rules({1}, {}).within(any));
  EXPECT_TRUE(rules({}, {{"BTC", INT64_MAX}}).within(any));
  EXPECT_TRUE(old.within(any));
}

TEST(WithdrawRules, WiderRulesAreNot) {
  const WithdrawRules old = rules({3, 7}, {{"BTC", 100}});
  // Another address, or "any address" instead of a list.
  EXPECT_FALSE(rules({3, 8}, {{"BTC", 100}}).within(old));
  EXPECT_FALSE(rules({3, 7, 8}, {{"BTC", 100}}).within(old));
  EXPECT_FALSE(rules({}, {{"BTC", 100}}).within(old));
  // A higher cap, or the cap removed (or replaced by a cap on another asset).
  EXPECT_FALSE(rules({3, 7}, {{"BTC", 101}}).within(old));
  EXPECT_FALSE(rules({3, 7}, {}).within(old));
  EXPECT_FALSE(rules({3, 7}, {{"ETH", 1}}).within(old));
  EXPECT_FALSE(WithdrawRules{}.within(old));
  // One cap lower and another removed is still wider.
  const WithdrawRules two = rules({}, {{"BTC", 100}, {"ETH", 100}});
  EXPECT_FALSE(rules({}, {{"BTC", 1}}).within(two));
  EXPECT_TRUE(rules({}, {{"BTC", 1}, {"ETH", 100}}).within(two));
}

}  // namespace
}  // namespace kg::keys
