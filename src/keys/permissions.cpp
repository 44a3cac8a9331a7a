#include "keys/permissions.hpp"

namespace kg::keys {

namespace {
struct Named {
  Permission permission;
  std::string_view name;
};
constexpr Named kNames[] = {{Permission::kRead, "READ"},         {Permission::kTrade, "TRADE"},
                            {Permission::kConvert, "CONVERT"},   {Permission::kTransfer, "TRANSFER"},
                            {Permission::kWithdraw, "WITHDRAW"}, {Permission::kDeposit, "DEPOSIT"}};
}  // namespace

std::optional<Permission> parse_permission(std::string_view name) {
  for (const auto& n : kNames) {
    if (n.name == name) return n.permission;
  }
  return std::nullopt;
}

std::string_view permission_name(Permission p) {
  for (const auto& n : kNames) {
    if (n.permission == p) return n.name;
  }
  return "UNKNOWN";
}

std::vector<std::string> permission_names(PermissionSet set) {
  std::vector<std::string> out;
  for (const auto& n : kNames) {
    if (has(set, n.permission)) out.emplace_back(n.name);
  }
  return out;
}

const std::vector<Permission>& all_permissions() {
  static const std::vector<Permission> kAll = {Permission::kRead,     Permission::kDeposit, Permission::kTrade,
                                               Permission::kConvert,  Permission::kTransfer, Permission::kWithdraw};
  return kAll;
}

std::optional<KeyType> parse_key_type(std::string_view name) {
  if (name == "HMAC_SHA256") return KeyType::kHmacSha256;
  if (name == "ED25519") return KeyType::kEd25519;
  if (name == "RSA") return KeyType::kRsa;
  return std::nullopt;
}

std::string_view key_type_name(KeyType t) {
  switch (t) {
    case KeyType::kHmacSha256: return "HMAC_SHA256";
    case KeyType::kEd25519: return "ED25519";
    case KeyType::kRsa: return "RSA";
  }
  return "UNKNOWN";
}

}  // namespace kg::keys
