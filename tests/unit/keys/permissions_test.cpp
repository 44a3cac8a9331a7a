// Permission and key type names, and what a key may do at a given moment.

#include "keys/permissions.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "keys/api_key.hpp"

namespace kg::keys {
namespace {

TEST(Permissions, ParseAndNameRoundTrip) {
  const std::vector<std::pair<Permission, const char*>> all = {
      {Permission::kRead, "READ"},         {Permission::kTrade, "TRADE"},       {Permission::kConvert, "CONVERT"},
      {Permission::kTransfer, "TRANSFER"}, {Permission::kWithdraw, "WITHDRAW"}, {Permission::kDeposit, "DEPOSIT"}};
  for (const auto& [p, name] : all) {
    EXPECT_EQ(permission_name(p), name);
    auto parsed = parse_permission(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_EQ(all_permissions().size(), all.size());
  std::set<Permission> seen(all_permissions().begin(), all_permissions().end());
  EXPECT_EQ(seen.size(), all.size());
  for (Permission p : all_permissions()) EXPECT_EQ(parse_permission(permission_name(p)), p);
  // Lowest risk first, withdrawal last.
  EXPECT_EQ(all_permissions().front(), Permission::kRead);
  EXPECT_EQ(all_permissions().back(), Permission::kWithdraw);
}

TEST(Permissions, BitsAreDistinct) {
  PermissionSet seen = 0;
  for (Permission p : all_permissions()) {
    EXPECT_EQ(seen & bit(p), 0u);
    seen |= bit(p);
    EXPECT_TRUE(has(seen, p));
  }
  EXPECT_EQ(seen, 0x3Fu);
}

TEST(Permissions, UnknownNamesAreRefused) {
  for (const char* name : {"", "read", "Read", "READ ", " READ", "TRADING", "SPOT", "WITHDRAWALS", "ALL", "READ,TRADE",
                           "UNKNOWN", "USER_DATA"}) {
    EXPECT_FALSE(parse_permission(name).has_value()) << "'" << name << "'";
  }
  EXPECT_EQ(permission_name(static_cast<Permission>(1u << 10)), "UNKNOWN");
}

TEST(Permissions, NamesOfASetInFixedOrder) {
  EXPECT_TRUE(permission_names(0).empty());
  EXPECT_EQ(permission_names(bit(Permission::kWithdraw) | bit(Permission::kRead)),
            (std::vector<std::string>{"READ", "WITHDRAW"}));
  EXPECT_EQ(permission_names(0x3F),
            (std::vector<std::string>{"READ", "TRADE", "CONVERT", "TRANSFER", "WITHDRAW", "DEPOSIT"}));
  // Bits that are no permission are ignored.
  EXPECT_EQ(permission_names(bit(Permission::kTrade) | (1u << 20)), std::vector<std::string>{"TRADE"});
}

TEST(KeyTypes, ParseAndNameRoundTrip) {
  for (KeyType t : {KeyType::kHmacSha256, KeyType::kEd25519, KeyType::kRsa}) {
    EXPECT_EQ(parse_key_type(key_type_name(t)), t);
  }
  EXPECT_EQ(key_type_name(KeyType::kHmacSha256), "HMAC_SHA256");
  EXPECT_EQ(key_type_name(KeyType::kEd25519), "ED25519");
  EXPECT_EQ(key_type_name(KeyType::kRsa), "RSA");
  for (const char* name : {"", "HMAC", "hmac_sha256", "ed25519", "Ed25519", "RSA2048", "ECDSA"}) {
    EXPECT_FALSE(parse_key_type(name).has_value()) << name;
  }
}

constexpr int64_t kNow = 1'700'000'000'000;

ApiKey key_with(PermissionSet permissions) {
  ApiKey k;
  k.permissions = permissions;
  return k;
}

TEST(ApiKey, EffectivePermissionsWithoutLimitsAreThePermissions) {
  auto k = key_with(0x3F);
  EXPECT_EQ(k.effective_permissions(kNow), 0x3Fu);
  EXPECT_EQ(k.effective_permissions(0), 0x3Fu);
}

TEST(ApiKey, ReadOnlyLeavesOnlyRead) {
  auto k = key_with(0x3F);
  k.read_only = true;
  EXPECT_EQ(k.effective_permissions(kNow), bit(Permission::kRead));
  // A read-only key without READ can do nothing.
  auto no_read = key_with(bit(Permission::kTrade) | bit(Permission::kWithdraw));
  no_read.read_only = true;
  EXPECT_EQ(no_read.effective_permissions(kNow), 0u);
}

TEST(ApiKey, TradeLapsesAtTradeExpiresAt) {
  auto k = key_with(bit(Permission::kRead) | bit(Permission::kTrade) | bit(Permission::kConvert));
  k.trade_expires_at = kNow;
  EXPECT_TRUE(has(k.effective_permissions(kNow - 1), Permission::kTrade));
  EXPECT_FALSE(has(k.effective_permissions(kNow), Permission::kTrade));
  EXPECT_FALSE(has(k.effective_permissions(kNow + 1), Permission::kTrade));
  // Only TRADE lapses.
  EXPECT_EQ(k.effective_permissions(kNow), bit(Permission::kRead) | bit(Permission::kConvert));
  // 0 means it never does.
  k.trade_expires_at = 0;
  EXPECT_TRUE(has(k.effective_permissions(INT64_MAX), Permission::kTrade));
}

TEST(ApiKey, KeyWithoutRead) {
  auto k = key_with(bit(Permission::kTrade));
  EXPECT_FALSE(has(k.effective_permissions(kNow), Permission::kRead));
  EXPECT_TRUE(has(k.effective_permissions(kNow), Permission::kTrade));
  k.trade_expires_at = kNow;
  EXPECT_EQ(k.effective_permissions(kNow), 0u);
}

TEST(ApiKey, Expired) {
  ApiKey k;
  EXPECT_FALSE(k.expired(kNow));  // 0: never
  EXPECT_FALSE(k.expired(INT64_MAX));
  k.expires_at = kNow;
  EXPECT_FALSE(k.expired(kNow - 1));
  EXPECT_TRUE(k.expired(kNow));
  EXPECT_TRUE(k.expired(kNow + 1));
}

}  // namespace
}  // namespace kg::keys
