#include "keys/withdraw_rules.hpp"

#include <algorithm>
#include <charconv>

namespace kg::keys {

namespace {
std::optional<int64_t> to_int(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "" -> {}; "a,b" -> {a, b}; "a," -> {a, ""} (an empty piece, which the callers refuse).
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  if (s.empty()) return out;
  for (size_t start = 0;;) {
    const size_t i = s.find(sep, start);
    out.push_back(s.substr(start, i == std::string_view::npos ? std::string_view::npos : i - start));
    if (i == std::string_view::npos) break;
    start = i + 1;
  }
  return out;
}
}  // namespace

const WithdrawCap* WithdrawRules::cap_for(const std::string& asset) const {
  for (const auto& c : daily_caps) {
    if (c.asset == asset) return &c;
  }
  return nullptr;
}

bool WithdrawRules::allows_address(int64_t book_id) const {
  return address_ids.empty() || std::find(address_ids.begin(), address_ids.end(), book_id) != address_ids.end();
}

bool WithdrawRules::within(const WithdrawRules& old) const {
  if (!old.address_ids.empty()) {
    if (address_ids.empty()) return false;  // "any address" is more than a list
    for (int64_t id : address_ids) {
      if (!old.allows_address(id)) return false;
    }
  }
  for (const auto& c : old.daily_caps) {
    const WithdrawCap* mine = cap_for(c.asset);
    if (!mine || mine->amount > c.amount) return false;
  }
  return true;
}

std::string WithdrawRules::ids_text() const {
  std::string out;
  for (int64_t id : address_ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

std::string WithdrawRules::caps_text() const {
  std::string out;
  for (const auto& c : daily_caps) out += (out.empty() ? "" : ",") + c.asset + ":" + std::to_string(c.amount);
  return out;
}

std::optional<WithdrawRules> WithdrawRules::parse(const std::string& ids, const std::string& caps) {
  WithdrawRules r;
  for (auto part : split(ids, ',')) {
    auto id = to_int(part);
    if (!id || *id <= 0) return std::nullopt;
    r.address_ids.push_back(*id);
  }
  for (auto part : split(caps, ',')) {
    size_t colon = part.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    auto amount = to_int(part.substr(colon + 1));
    if (!amount || *amount <= 0) return std::nullopt;
    r.daily_caps.push_back({std::string(part.substr(0, colon)), *amount});
  }
  return r;
}

}  // namespace kg::keys
