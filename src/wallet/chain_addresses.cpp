#include "wallet/chain_addresses.hpp"

#include "crypto/random.hpp"

namespace kg::wallet {

namespace {
// Uniform characters from an alphabet, without modulo bias.
std::string random_from(std::string_view alphabet, size_t n) {
  std::string out;
  const unsigned limit = 256 - 256 % alphabet.size();
  while (out.size() < n) {
    for (unsigned char c : crypto::random_bytes(n)) {
      if (c < limit && out.size() < n) out += alphabet[c % alphabet.size()];
    }
  }
  return out;
}

constexpr std::string_view kHex = "0123456789abcdef";
constexpr std::string_view kBech32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::string_view kBase58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
}  // namespace

DepositAddressParts make_deposit_address(const Network& network) {
  if (network.address_style == "tag") {
    // One shared address; the tag tells whose deposit it is (9 digits, no leading zero).
    return {network.shared_address, random_from("123456789", 1) + random_from("0123456789", 8)};
  }
  if (network.address_style == "bech32") return {"bc1q" + random_from(kBech32, 38), ""};
  if (network.address_style == "base58") return {"T" + random_from(kBase58, 33), ""};
  return {"0x" + random_from(kHex, 40), ""};
}

AddressRules::AddressRules(const ExchangeSpec& exchange) {
  for (const auto& a : exchange.assets) {
    for (const auto& n : a.networks) {
      Patterns p{std::regex(n.address_regex.empty() ? ".+" : n.address_regex, std::regex::ECMAScript),
                 std::regex(n.memo_regex.empty() ? "" : n.memo_regex, std::regex::ECMAScript), !n.memo_regex.empty()};
      by_network_.emplace(a.name + "/" + n.name, std::move(p));
    }
  }
}

Status AddressRules::check(const Asset& asset, const Network& network, const std::string& address,
                           const std::string& tag) const {
  auto it = by_network_.find(asset.name + "/" + network.name);
  if (it == by_network_.end()) return make_error(err::kUnknownNetwork, network.name, asset.name);
  const Patterns& p = it->second;
  // Length first: a regex over an attacker's megabyte is not a check worth running.
  if (address.empty() || address.size() > 128 || !std::regex_match(address, p.address)) {
    return make_error(err::kBadAddress, address.substr(0, 128), network.name);
  }
  if (!tag.empty() && (!p.has_memo || tag.size() > 64 || !std::regex_match(tag, p.memo))) {
    return make_error(err::kBadTag, tag.substr(0, 64), network.name);
  }
  return ok_status();
}

}  // namespace kg::wallet
