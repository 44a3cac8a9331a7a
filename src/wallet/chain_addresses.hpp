#pragma once
// Addresses on the simulated chains: making deposit addresses in each network's style, and
// checking withdrawal addresses and tags against the network's patterns.

#include <regex>
#include <string>
#include <unordered_map>

#include "common/market.hpp"
#include "common/result.hpp"

namespace kg::wallet {

struct DepositAddressParts {
  std::string address;
  std::string tag;
};

// A new deposit address (and tag, for "tag" networks) in the network's style. Random: the
// caller retries on the (unlikely) collision the store's unique index reports.
DepositAddressParts make_deposit_address(const Network& network);

class AddressRules {
 public:
  explicit AddressRules(const ExchangeSpec& exchange);
  // -7414 unknown network, -7416 bad address, -7417 bad tag.
  Status check(const Asset& asset, const Network& network, const std::string& address, const std::string& tag) const;

 private:
  struct Patterns {
    std::regex address;
    std::regex memo;
    bool has_memo = false;
  };
  std::unordered_map<std::string, Patterns> by_network_;  // "ASSET/NETWORK"
};

}  // namespace kg::wallet
