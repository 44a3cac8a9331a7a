#include "keys/ip_allowlist.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace kg::keys {

namespace {
constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Parses an address with no prefix; a mapped IPv6 address becomes IPv4 (and says so).
std::optional<IpRange> parse_address(const std::string& text, bool* was_mapped = nullptr) {
  IpRange r;
  if (inet_pton(AF_INET, text.c_str(), r.addr.data()) == 1) {
    r.v4 = true;
    r.prefix = 32;
    return r;
  }
  if (inet_pton(AF_INET6, text.c_str(), r.addr.data()) == 1) {
    if (std::memcmp(r.addr.data(), kMappedPrefix, 12) == 0) {
      std::memmove(r.addr.data(), r.addr.data() + 12, 4);
      std::memset(r.addr.data() + 4, 0, 12);
      if (was_mapped) *was_mapped = true;
      r.v4 = true;
      r.prefix = 32;
      return r;
    }
    r.v4 = false;
    r.prefix = 128;
    return r;
  }
  return std::nullopt;
}

bool prefix_equal(const std::array<unsigned char, 16>& a, const std::array<unsigned char, 16>& b, int prefix) {
  int full = prefix / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<size_t>(full)) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[static_cast<size_t>(full)] & mask) == (b[static_cast<size_t>(full)] & mask);
}
}  // namespace

std::optional<IpRange> IpRange::parse(std::string_view text) {
  size_t slash = text.find('/');
  bool mapped = false;
  auto r = parse_address(std::string(text.substr(0, slash)), &mapped);
  if (!r) return std::nullopt;
  if (slash == std::string_view::npos) return r;
  std::string_view p = text.substr(slash + 1);
  int prefix = -1;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size()) return std::nullopt;
  // ::ffff:a.b.c.d/N counts the 96 bits of the mapping prefix: it is a.b.c.d/(N-96).
  if (mapped) {
    if (prefix < 96) return std::nullopt;
    prefix -= 96;
  }
  const int max = r->v4 ? 32 : 128;
  if (prefix < 0 || prefix > max) return std::nullopt;
  // A range written with host bits set (10.0.0.1/8) is refused: it is almost always a typo.
  IpRange network = *r;
  network.prefix = prefix;
  for (int bit = prefix; bit < max; ++bit) {
    if (network.addr[static_cast<size_t>(bit / 8)] & (0x80 >> (bit % 8))) return std::nullopt;
  }
  return network;
}

bool IpRange::contains(const IpRange& single) const {
  return v4 == single.v4 && prefix_equal(addr, single.addr, prefix);
}

bool IpRange::covers(const IpRange& range) const { return range.prefix >= prefix && contains(range); }

std::string IpRange::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v4 ? AF_INET : AF_INET6, addr.data(), buf, sizeof buf);
  std::string out = buf;
  if (prefix != (v4 ? 32 : 128)) out += "/" + std::to_string(prefix);
  return out;
}

namespace {
// Dotted-quad IPv4 without inet_pton or a string copy: the common case of every request.
std::optional<IpRange> parse_ipv4_fast(std::string_view ip) {
  IpRange r;
  int part = 0, digits = 0, value = 0;
  for (char c : ip) {
    if (c >= '0' && c <= '9') {
      // "10.00.0.3" is refused, as inet_pton (the slow path, and IpRange::parse) refuses it.
      if (digits == 1 && value == 0) return std::nullopt;
      value = value * 10 + (c - '0');
      if (++digits > 3 || value > 255) return std::nullopt;
    } else if (c == '.' && digits > 0 && part < 3) {
      r.addr[static_cast<size_t>(part++)] = static_cast<unsigned char>(value);
      value = digits = 0;
    } else {
      return std::nullopt;
    }
  }
  if (part != 3 || digits == 0) return std::nullopt;
  r.addr[3] = static_cast<unsigned char>(value);
  r.prefix = 32;
  r.v4 = true;
  return r;
}
}  // namespace

bool IpAllowlist::allows(std::string_view ip) const {
  auto addr = parse_ipv4_fast(ip);
  if (!addr) addr = parse_address(std::string(ip));
  if (!addr) return false;
  for (const auto& r : ranges_) {
    if (r.contains(*addr)) return true;
  }
  return false;
}

bool IpAllowlist::within(const IpAllowlist& wider) const {
  if (wider.empty()) return true;
  if (empty()) return false;
  return std::all_of(ranges_.begin(), ranges_.end(), [&](const IpRange& r) {
    return std::any_of(wider.ranges_.begin(), wider.ranges_.end(), [&](const IpRange& w) { return w.covers(r); });
  });
}

std::optional<IpAllowlist> IpAllowlist::parse_list(std::string_view text, std::string* bad) {
  std::vector<IpRange> ranges;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    auto r = IpRange::parse(item);
    if (!r) {
      if (bad) *bad = std::string(item);
      return std::nullopt;
    }
    ranges.push_back(*r);
  }
  return IpAllowlist(std::move(ranges));
}

std::string IpAllowlist::to_list() const {
  std::string out;
  for (const auto& r : ranges_) out += (out.empty() ? "" : ",") + r.to_string();
  return out;
}

std::vector<std::string> IpAllowlist::to_strings() const {
  std::vector<std::string> out;
  for (const auto& r : ranges_) out.push_back(r.to_string());
  return out;
}

}  // namespace kg::keys
