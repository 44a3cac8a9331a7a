#pragma once
// Per-key withdrawal controls no exchange offers: the address-book entries a key may withdraw to,
// and a cap per asset over any 24 hours. Stored as text on the key's row.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kg::keys {

struct WithdrawCap {
  std::string asset;
  int64_t amount = 0;  // units of 10^-8

  bool operator==(const WithdrawCap&) const = default;
};

struct WithdrawRules {
  std::vector<int64_t> address_ids;     // empty: any address the account may withdraw to
  std::vector<WithdrawCap> daily_caps;  // empty: no cap

  const WithdrawCap* cap_for(const std::string& asset) const;
  bool allows_address(int64_t book_id) const;
  // True when these rules let a key do nothing the `old` rules did not (so no 2FA is needed).
  bool within(const WithdrawRules& old) const;

  std::string ids_text() const;   // "3,7"
  std::string caps_text() const;  // "BTC:50000000,USDT:100000000000"
  // nullopt when the stored text is malformed.
  static std::optional<WithdrawRules> parse(const std::string& ids, const std::string& caps);

  bool operator==(const WithdrawRules&) const = default;
};

}  // namespace kg::keys
