#pragma once
// Request parameters as Binance reads them: from the query string and from a form-encoded body,
// merged (the query wins), a name repeated within one source refused (-1101). The raw bytes are
// kept, because a signature covers the bytes as received, never a re-encoding.

#include <boost/container/small_vector.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace kg {

// Names and values are views: into the request's raw query and body when they needed no
// decoding (the usual case), else into the Params' own buffer. A Params must not outlive the
// strings it was parsed from; it can be moved, not copied.
class Params {
 public:
  Params() = default;
  Params(Params&&) noexcept = default;
  Params& operator=(Params&&) noexcept = default;
  Params(const Params&) = delete;
  Params& operator=(const Params&) = delete;

  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  using Items = boost::container::small_vector<std::pair<std::string_view, std::string_view>, 16>;
  const Items& items() const { return items_; }

 private:
  friend Result<Params> parse_params(std::string_view query, std::string_view body);
  friend class ParamsBuilder;
  Items items_;  // up to 16 parameters without touching the heap
  std::vector<char> decoded_;  // reserved once, never reallocated: views into it stay valid
};

// Percent-decodes (and '+' to space, as in form encoding). Fails on a bad escape.
Result<std::string> percent_decode(std::string_view text, std::string_view param_name);
// Letters and digits and the characters of `keep` as they are, every other byte as %XX (upper
// case): RFC 3986's unreserved set by default; JavaScript's encodeURIComponent keeps "-_.!~*'()".
std::string percent_encode(std::string_view text, std::string_view keep = "-._~");

// Parses "a=1&b=2" from the query and the body and merges them.
Result<Params> parse_params(std::string_view query, std::string_view body);

// The bytes a client signed: the query without its signature pair, followed with no separator by
// the body without its signature pair.
std::string signature_payload(std::string_view query, std::string_view body);
// The same without a copy when it can (the signature is the query's last pair and there is no
// body); otherwise the payload is built in `storage`.
std::string_view signature_payload(std::string_view query, std::string_view body, std::string& storage);

}  // namespace kg
