#pragma once
// IP allowlists: IPv4 and IPv6 addresses and CIDR ranges. An IPv4-mapped IPv6 address
// (::ffff:1.2.3.4) is treated as the IPv4 address it carries, in lists and in requests.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kg::keys {

struct IpRange {
  std::array<unsigned char, 16> addr{};  // IPv4 in the first 4 bytes
  int prefix = 0;
  bool v4 = true;

  static std::optional<IpRange> parse(std::string_view text);
  bool contains(const IpRange& single) const;  // `single` is a full-length address
  bool covers(const IpRange& range) const;     // every address of `range` is in this one
  std::string to_string() const;
};

class IpAllowlist {
 public:
  IpAllowlist() = default;
  explicit IpAllowlist(std::vector<IpRange> ranges) : ranges_(std::move(ranges)) {}
  // "10.0.0.0/8, ::1": comma-separated, spaces ignored. On failure `bad` gets the bad entry.
  static std::optional<IpAllowlist> parse_list(std::string_view text, std::string* bad = nullptr);
  std::string to_list() const;  // the same form, for storage
  bool allows(std::string_view ip) const;
  // Every address this list lets in, `wider` lets in too (an empty list lets in every address).
  bool within(const IpAllowlist& wider) const;
  bool empty() const { return ranges_.empty(); }
  const std::vector<IpRange>& ranges() const { return ranges_; }
  std::vector<std::string> to_strings() const;

 private:
  std::vector<IpRange> ranges_;
};

}  // namespace kg::keys
