#pragma once
// Every API key in memory, read by network threads on each signed request. A change to a key
// replaces its entry before the change is acknowledged, so a deactivated or deleted key fails
// on its very next request. The request path never touches the store.

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "keys/api_key.hpp"

namespace kg::keys {

class KeyIndex {
 public:
  std::shared_ptr<const KeyEntry> find(std::string_view api_key) const;
  void put(std::shared_ptr<const KeyEntry> entry);
  void erase(std::string_view api_key);
  size_t size() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const KeyEntry>, Hash, std::equal_to<>> by_key_;
};

}  // namespace kg::keys
