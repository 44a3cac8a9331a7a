#include "common/query.hpp"

#include <algorithm>
#include <cstring>

namespace kg {

std::optional<std::string_view> Params::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (k == name) return v;
  }
  return std::nullopt;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}


// Calls fn(raw_key, raw_value) for each non-empty '&'-separated pair (memchr for '&': values can be long).
template <typename Fn>
void for_each_pair(std::string_view text, Fn&& fn) {
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const char* amp = static_cast<const char*>(std::memchr(p, '&', static_cast<size_t>(end - p)));
    const char* stop = amp ? amp : end;
    if (stop > p) {
      const char* eq = p;  // names are short: a plain loop beats a memchr call
      while (eq < stop && *eq != '=') ++eq;
      if (eq == stop) eq = nullptr;
      if (eq) {
        fn(std::string_view(p, static_cast<size_t>(eq - p)), std::string_view(eq + 1, static_cast<size_t>(stop - eq - 1)));
      } else {
        fn(std::string_view(p, static_cast<size_t>(stop - p)), std::string_view{});
      }
    }
    p = stop + 1;
  }
}

bool has_escapes(std::string_view text) {
  if (text.empty()) return false;  // an empty view may have no data pointer at all
  return std::memchr(text.data(), '%', text.size()) != nullptr || std::memchr(text.data(), '+', text.size()) != nullptr;
}

// Appends the decoded text to `out`; false on a bad escape.
bool decode_into(std::string_view text, std::string& out) {
  const char* first = text.data();
  const char* last = first + text.size();
  const char* special = first;
  while (special != last && *special != '%' && *special != '+') ++special;
  const size_t plain = static_cast<size_t>(special - first);
  out.append(text.substr(0, plain));
  if (plain == text.size()) return true;
  text.remove_prefix(plain);
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) return false;
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return true;
}

}  // namespace

// Builds a Params: plain tokens stay views of the raw text, escaped ones are decoded into the
// Params' buffer, which is sized once for the worst case so that it never moves.
class ParamsBuilder {
 public:
  ParamsBuilder(Params& p, size_t raw_size) : p_(p) {
    raw_size_ = raw_size;
  }

  // The decoded token, or nullopt on a bad escape.
  // `maybe_escaped` false: the whole source has no '%' or '+', so the token is used as it is.
  std::optional<std::string_view> token(std::string_view raw, bool maybe_escaped) {
    if (!maybe_escaped || !has_escapes(raw)) return raw;
    if (p_.decoded_.capacity() == 0) p_.decoded_.reserve(raw_size_);
    const size_t start = p_.decoded_.size();
    std::string tmp;
    if (!decode_into(raw, tmp)) return std::nullopt;
    p_.decoded_.insert(p_.decoded_.end(), tmp.begin(), tmp.end());
    return std::string_view(p_.decoded_.data() + start, tmp.size());
  }

  Status add_source(std::string_view text, size_t keep_before) {
    Status status = ok_status();
    std::vector<std::string_view> shadowed;  // names of this source that the query already gave
    const size_t first_own = p_.items_.size();
    const bool escapes = has_escapes(text);
    for_each_pair(text, [&](std::string_view raw_key, std::string_view raw_value) {
      if (!status) return;
      auto key = token(raw_key, escapes);
      if (!key) { status = make_error(err::kIllegalChars, "name", "percent-encoded bytes"); return; }
      auto value = token(raw_value, escapes);
      if (!value) { status = make_error(err::kIllegalChars, std::string(*key), "percent-encoded bytes"); return; }
      const auto& items = p_.items_;
      // A name twice in the same source is refused; a name already given by the query wins. A
      // 64-bit filter of (length, first byte) skips the comparisons for names not seen before.
      const uint64_t bit = key->empty() ? 1 : uint64_t{1} << ((key->size() * 7 + static_cast<unsigned char>((*key)[0])) & 63);
      const bool maybe_seen = (seen_ & bit) != 0;
      seen_ |= bit;
      for (size_t i = first_own; maybe_seen && i < items.size(); ++i) {
        if (items[i].first == *key) { status = make_error(err::kDuplicateParam); return; }
      }
      for (size_t i = 0; maybe_seen && i < keep_before; ++i) {
        if (items[i].first != *key) continue;
        if (std::find(shadowed.begin(), shadowed.end(), *key) != shadowed.end()) {
          status = make_error(err::kDuplicateParam);
        } else {
          shadowed.push_back(*key);
        }
        return;
      }
      p_.items_.emplace_back(*key, *value);
    });
    return status;
  }

  size_t size() const { return p_.items_.size(); }

 private:
  Params& p_;
  size_t raw_size_ = 0;
  uint64_t seen_ = 0;  // filter of the names added so far, query and body
};

namespace {

std::string without_signature(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool first = true;
  size_t pos = 0;
  while (pos <= text.size() && !text.empty()) {
    size_t amp = text.find('&', pos);
    size_t end = amp == std::string_view::npos ? text.size() : amp;
    std::string_view pair = text.substr(pos, end - pos);
    if (!pair.starts_with("signature=") && pair != "signature") {
      if (!first) out += '&';
      out += pair;
      first = false;
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return out;
}

}  // namespace

std::string percent_encode(std::string_view text, std::string_view keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum || keep.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<std::string> percent_decode(std::string_view text, std::string_view param_name) {
  std::string out;
  if (!decode_into(text, out)) return make_error(err::kIllegalChars, param_name, "percent-encoded bytes");
  return out;
}

Result<Params> parse_params(std::string_view query, std::string_view body) {
  Params params;
  ParamsBuilder builder(params, query.size() + body.size());
  if (auto s = builder.add_source(query, 0); !s) return s.error();
  const size_t from_query = builder.size();
  if (auto s = builder.add_source(body, from_query); !s) return s.error();
  return params;
}

std::string signature_payload(std::string_view query, std::string_view body) {
  return without_signature(query) + without_signature(body);
}

std::string_view signature_payload(std::string_view query, std::string_view body, std::string& storage) {
  // The common case: no body, and the signature is the query's last pair and its only one.
  if (body.empty()) {
    size_t at = query.rfind("&signature=");
    if (at != std::string_view::npos && query.find('&', at + 1) == std::string_view::npos &&
        query.find("signature") == at + 1) {
      return query.substr(0, at);
    }
  }
  storage = signature_payload(query, body);
  return storage;
}

}  // namespace kg
