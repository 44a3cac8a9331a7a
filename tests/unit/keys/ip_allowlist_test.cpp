// IP allowlists: addresses and CIDR ranges of both families, IPv4-mapped IPv6, and what is refused.

#include "keys/ip_allowlist.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace kg::keys {
namespace {

IpAllowlist list_of(const std::vector<std::string>& texts) {
  std::vector<IpRange> ranges;
  for (const auto& t : texts) {
    auto r = IpRange::parse(t);
    EXPECT_TRUE(r.has_value()) << t;
    if (r) ranges.push_back(*r);
  }
  return IpAllowlist(std::move(ranges));
}

TEST(IpRange, ParsesSingleAddresses) {
  auto v4 = IpRange::parse("192.0.2.7");
  ASSERT_TRUE(v4.has_value());
  EXPECT_TRUE(v4->v4);
  EXPECT_EQ(v4->prefix, 32);
  EXPECT_EQ(v4->addr[0], 192);
  EXPECT_EQ(v4->addr[3], 7);
  EXPECT_EQ(v4->to_string(), "192.0.2.7");

  auto v6 = IpRange::parse("2001:db8::1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_FALSE(v6->v4);
  EXPECT_EQ(v6->prefix, 128);
  EXPECT_EQ(v6->addr[0], 0x20);
  EXPECT_EQ(v6->addr[15], 1);
  EXPECT_EQ(v6->to_string(), "2001:db8::1");
}

TEST(IpRange, ParsesCidrRangesOfEveryUsualLength) {
  struct Case {
    const char* text;
    bool v4;
    int prefix;
  };
  for (const Case& c : {Case{"0.0.0.0/0", true, 0}, Case{"10.0.0.0/8", true, 8}, Case{"172.16.0.0/12", true, 12},
                        Case{"192.0.2.0/24", true, 24}, Case{"192.0.2.7/32", true, 32}, Case{"::/0", false, 0},
                        Case{"2001:db8::/32", false, 32}, Case{"2001:db8:1:2::/64", false, 64},
                        Case{"2001:db8::1/128", false, 128}}) {
    auto r = IpRange::parse(c.text);
    ASSERT_TRUE(r.has_value()) << c.text;
    EXPECT_EQ(r->v4, c.v4) << c.text;
    EXPECT_EQ(r->prefix, c.prefix) << c.text;
  }
}

TEST(IpRange, RefusesHostBitsSet) {
  EXPECT_FALSE(IpRange::parse("10.0.0.1/8").has_value());
  EXPECT_FALSE(IpRange::parse("10.0.0.0/6").has_value());  // 10 = 0000 1010: bit 6 set
  EXPECT_FALSE(IpRange::parse("192.0.2.1/31").has_value());
  EXPECT_FALSE(IpRange::parse("1.0.0.0/0").has_value());
  EXPECT_FALSE(IpRange::parse("2001:db8::1/64").has_value());
  EXPECT_FALSE(IpRange::parse("2001:db8::/16").has_value());
  EXPECT_FALSE(IpRange::parse("::1/127").has_value());
  // The network address of each is fine.
  EXPECT_TRUE(IpRange::parse("192.0.2.0/31").has_value());
  EXPECT_TRUE(IpRange::parse("::/127").has_value());
  EXPECT_TRUE(IpRange::parse("10.0.0.0/8").has_value());
}

TEST(IpRange, RefusesBadPrefixes) {
  for (const char* text : {"10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/8x", "10.0.0.0/ 8",
                           "10.0.0.0/8/8", "10.0.0.0/+8", "10.0.0.0/1e1", "10.0.0.0/99999999999", "::/129",
                           "::/-0x1", "2001:db8::/", "2001:db8::/64.0"}) {
    EXPECT_FALSE(IpRange::parse(text).has_value()) << text;
  }
}

TEST(IpRange, RefusesGarbage) {
  for (const char* text : {"", " ", "/", "/8", "localhost", "example.com", "10.0.0", "10.0.0.256", "10.0.0.0.1",
                           " 10.0.0.1", "10.0.0.1 ", "1.2.3.4,5.6.7.8", "1.2.3.-4", ":::", "2001:db8:::1",
                           "2001:db8::g", "fe80::1%eth0", "[::1]", "10.0.0.1:80", "*"}) {
    EXPECT_FALSE(IpRange::parse(text).has_value()) << "'" << text << "'";
  }
}

TEST(IpRange, MappedIpv6IsTheIpv4AddressItCarries) {
  auto r = IpRange::parse("::ffff:10.1.2.3");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->v4);
  EXPECT_EQ(r->prefix, 32);
  EXPECT_EQ(r->to_string(), "10.1.2.3");
  auto direct = IpRange::parse("10.1.2.3");
  EXPECT_EQ(r->addr, direct->addr);
  // Hex spelling of the same mapped address.
  auto hex = IpRange::parse("::ffff:a01:203");
  ASSERT_TRUE(hex.has_value());
  EXPECT_TRUE(hex->v4);
  EXPECT_EQ(hex->to_string(), "10.1.2.3");
}

TEST(IpRange, ToStringRoundTrips) {
  for (const char* text : {"0.0.0.0/0", "10.0.0.0/8", "192.0.2.7", "203.0.113.0/24", "::/0", "::1", "2001:db8::/32",
                           "2001:db8:1:2::/64", "2001:db8::1", "fe80::/10", "2001:db8:0:1:2:3:4:5"}) {
    auto r = IpRange::parse(text);
    ASSERT_TRUE(r.has_value()) << text;
    EXPECT_EQ(r->to_string(), text);
    auto again = IpRange::parse(r->to_string());
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->addr, r->addr);
    EXPECT_EQ(again->prefix, r->prefix);
    EXPECT_EQ(again->v4, r->v4);
  }
  // A non-canonical spelling comes back canonical; a full-length prefix is dropped.
  EXPECT_EQ(IpRange::parse("2001:0DB8:0000::0001")->to_string(), "2001:db8::1");
  EXPECT_EQ(IpRange::parse("192.0.2.7/32")->to_string(), "192.0.2.7");
  EXPECT_EQ(IpRange::parse("2001:db8::1/128")->to_string(), "2001:db8::1");
}

TEST(IpAllowlist, EmptyListAllowsNothingByItself) {
  // An empty list means "all IPs" to the gatekeeper, which checks empty() first; allows() is false.
  IpAllowlist empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_FALSE(empty.allows("10.0.0.1"));
  EXPECT_TRUE(empty.to_strings().empty());
}

TEST(IpAllowlist, SingleAddresses) {
  auto list = list_of({"192.0.2.7", "2001:db8::1"});
  EXPECT_TRUE(list.allows("192.0.2.7"));
  EXPECT_FALSE(list.allows("192.0.2.8"));
  EXPECT_FALSE(list.allows("192.0.2.6"));
  EXPECT_TRUE(list.allows("2001:db8::1"));
  EXPECT_TRUE(list.allows("2001:0db8:0:0:0:0:0:1"));
  EXPECT_FALSE(list.allows("2001:db8::2"));
}

TEST(IpAllowlist, CidrRanges) {
  auto list = list_of({"10.0.0.0/8", "192.0.2.0/24", "2001:db8:1:2::/64"});
  EXPECT_TRUE(list.allows("10.0.0.0"));
  EXPECT_TRUE(list.allows("10.255.255.255"));
  EXPECT_FALSE(list.allows("11.0.0.0"));
  EXPECT_FALSE(list.allows("9.255.255.255"));
  EXPECT_TRUE(list.allows("192.0.2.255"));
  EXPECT_FALSE(list.allows("192.0.3.0"));
  EXPECT_TRUE(list.allows("2001:db8:1:2::"));
  EXPECT_TRUE(list.allows("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(list.allows("2001:db8:1:3::"));
  EXPECT_FALSE(list.allows("2001:db8:1:1:ffff:ffff:ffff:ffff"));
}

TEST(IpAllowlist, NonByteAlignedPrefixes) {
  auto list = list_of({"172.16.0.0/12", "2001:db8::/29"});
  EXPECT_TRUE(list.allows("172.16.0.1"));
  EXPECT_TRUE(list.allows("172.31.255.255"));
  EXPECT_FALSE(list.allows("172.32.0.0"));
  EXPECT_FALSE(list.allows("172.15.255.255"));
  EXPECT_TRUE(list.allows("2001:db8::1"));
  EXPECT_TRUE(list.allows("2001:dbf:ffff::1"));
  EXPECT_FALSE(list.allows("2001:dc0::1"));
}

TEST(IpAllowlist, ZeroPrefixMatchesItsWholeFamilyOnly) {
  auto v4_all = list_of({"0.0.0.0/0"});
  EXPECT_TRUE(v4_all.allows("1.2.3.4"));
  EXPECT_TRUE(v4_all.allows("255.255.255.255"));
  EXPECT_TRUE(v4_all.allows("::ffff:1.2.3.4"));  // mapped: IPv4
  EXPECT_FALSE(v4_all.allows("::1"));
  EXPECT_FALSE(v4_all.allows("2001:db8::1"));

  auto v6_all = list_of({"::/0"});
  EXPECT_TRUE(v6_all.allows("::1"));
  EXPECT_TRUE(v6_all.allows("2001:db8::1"));
  EXPECT_FALSE(v6_all.allows("1.2.3.4"));
  EXPECT_FALSE(v6_all.allows("::ffff:1.2.3.4"));  // mapped: IPv4, not in an IPv6 range
}

TEST(IpAllowlist, FamiliesNeverCrossMatch) {
  // 10.1.2.3 as raw bytes is 0a01:0203::; neither matches the other family's range.
  auto v6 = list_of({"a01:203::/32"});
  EXPECT_FALSE(v6.allows("10.1.2.3"));
  EXPECT_TRUE(v6.allows("a01:203::1"));
  auto v4 = list_of({"10.1.2.3"});
  EXPECT_FALSE(v4.allows("a01:203::"));
  EXPECT_FALSE(v4.allows("::10.1.2.3"));  // IPv4-compatible (not mapped) is IPv6
  EXPECT_TRUE(v4.allows("10.1.2.3"));
}

TEST(IpAllowlist, MappedAddressesInListAndInRequest) {
  auto mapped_in_list = list_of({"::ffff:10.1.2.3"});
  EXPECT_EQ(mapped_in_list.to_strings(), std::vector<std::string>{"10.1.2.3"});
  EXPECT_TRUE(mapped_in_list.allows("10.1.2.3"));
  EXPECT_TRUE(mapped_in_list.allows("::ffff:10.1.2.3"));
  EXPECT_TRUE(mapped_in_list.allows("::FFFF:10.1.2.3"));
  EXPECT_FALSE(mapped_in_list.allows("10.1.2.4"));

  auto plain_in_list = list_of({"10.0.0.0/8"});
  EXPECT_TRUE(plain_in_list.allows("::ffff:10.1.2.3"));
  EXPECT_TRUE(plain_in_list.allows("::ffff:a01:203"));
  EXPECT_FALSE(plain_in_list.allows("::ffff:11.1.2.3"));
}

TEST(IpAllowlist, GarbageRequestAddressIsNeverAllowed) {
  auto list = list_of({"0.0.0.0/0", "::/0"});
  for (const char* ip : {"", "unknown", "10.0.0.1:80", "[::1]", " 10.0.0.1", "10.0.0.0/8", "::/0"}) {
    EXPECT_FALSE(list.allows(ip)) << "'" << ip << "'";
  }
}

TEST(IpAllowlist, ToStringsKeepsOrder) {
  auto list = list_of({"2001:db8::/32", "10.0.0.0/8", "::ffff:192.0.2.1", "192.0.2.7/32"});
  EXPECT_EQ(list.to_strings(), (std::vector<std::string>{"2001:db8::/32", "10.0.0.0/8", "192.0.2.1", "192.0.2.7"}));
  EXPECT_EQ(list.ranges().size(), 4u);
  EXPECT_FALSE(list.empty());
}

TEST(IpRange, MappedIpv6RangesCountTheMappingPrefix) {
  auto r = IpRange::parse("::ffff:10.0.0.0/104");  // 96 bits of mapping + 8
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->v4);
  EXPECT_EQ(r->to_string(), "10.0.0.0/8");
  EXPECT_FALSE(IpRange::parse("::ffff:10.0.0.0/8").has_value());  // shorter than the mapping prefix
  EXPECT_FALSE(IpRange::parse("::ffff:10.0.0.1/104").has_value());  // host bits set
  EXPECT_TRUE(IpRange::parse("::ffff:10.1.2.3/128").has_value());
}

// A changed allowlist lets in nothing new exactly when it is within the old one.
TEST(IpAllowlist, WithinAWiderList) {
  auto list = [](std::string_view text) { return *IpAllowlist::parse_list(text); };
  const IpAllowlist all;  // no list: every address
  EXPECT_TRUE(list("10.0.0.0/8").within(all));
  EXPECT_TRUE(all.within(all));
  EXPECT_FALSE(all.within(list("10.0.0.0/8")));
  EXPECT_TRUE(list("10.1.0.0/16, 10.2.3.4").within(list("10.0.0.0/8")));
  EXPECT_TRUE(list("10.0.0.0/8").within(list("10.0.0.0/8")));
  EXPECT_FALSE(list("10.0.0.0/7").within(list("10.0.0.0/8")));  // wider than the old range
  EXPECT_FALSE(list("10.1.0.0/16, 192.0.2.1").within(list("10.0.0.0/8")));  // one address outside
  EXPECT_TRUE(list("192.0.2.1").within(list("10.0.0.0/8, 192.0.2.0/24")));
  EXPECT_TRUE(list("2001:db8:1::/48").within(list("2001:db8::/32")));
  EXPECT_FALSE(list("2001:db8::/32").within(list("2001:db8:1::/48")));
  EXPECT_FALSE(list("::ffff:10.0.0.1").within(list("2001:db8::/32")));  // the IPv4 address it carries
  EXPECT_TRUE(list("::ffff:10.0.0.1").within(list("10.0.0.0/8")));
}

}  // namespace
}  // namespace kg::keys
