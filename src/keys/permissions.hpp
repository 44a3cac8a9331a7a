#pragma once
// What a key may do. Stored as a bit set; named on the wire as the console shows them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kg::keys {

enum class Permission : uint32_t {
  kRead = 1u << 0,      // balances, orders, history
  kTrade = 1u << 1,     // spot trading
  kConvert = 1u << 2,   // convert / exchange
  kTransfer = 1u << 3,  // internal transfer
  kWithdraw = 1u << 4,  // withdrawal (the highest risk)
  kDeposit = 1u << 5,   // deposit addresses and history
};

using PermissionSet = uint32_t;

inline constexpr PermissionSet bit(Permission p) { return static_cast<PermissionSet>(p); }
inline constexpr bool has(PermissionSet set, Permission p) { return (set & bit(p)) != 0; }

std::optional<Permission> parse_permission(std::string_view name);
std::string_view permission_name(Permission p);
std::vector<std::string> permission_names(PermissionSet set);
// All permissions, lowest risk first.
const std::vector<Permission>& all_permissions();

enum class KeyType { kHmacSha256, kEd25519, kRsa };
std::optional<KeyType> parse_key_type(std::string_view name);
std::string_view key_type_name(KeyType t);

}  // namespace kg::keys
