#include "common/query.hpp"

#include <algorithm>

namespace kg {

const std::string* Params::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (k == name) return &v;
  }
  return nullptr;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Calls fn(raw_key, raw_value) for each non-empty '&'-separated pair, in one pass.
template <typename Fn>
void for_each_pair(std::string_view text, Fn&& fn) {
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const char* start = p;
    const char* eq = nullptr;
    while (p < end && *p != '&') {
      if (!eq && *p == '=') eq = p;
      ++p;
    }
    if (p > start) {
      if (eq) {
        fn(std::string_view(start, static_cast<size_t>(eq - start)), std::string_view(eq + 1, static_cast<size_t>(p - eq - 1)));
      } else {
        fn(std::string_view(start, static_cast<size_t>(p - start)), std::string_view{});
      }
    }
    ++p;  // skip '&'
  }
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

Status parse_into(std::string_view text, Params& out, size_t keep_before) {
  Status status = ok_status();
  std::vector<std::string> shadowed;  // names of this source that the query already gave
  const size_t first_own = out.items().size();
  for_each_pair(text, [&](std::string_view raw_key, std::string_view raw_value) {
    if (!status) return;
    std::string key, value;
    if (!decode_into(raw_key, key)) { status = make_error(err::kIllegalChars, "name", "percent-encoded bytes"); return; }
    if (!decode_into(raw_value, value)) { status = make_error(err::kIllegalChars, key, "percent-encoded bytes"); return; }
    const auto& items = out.items();
    // A name twice in the same source is refused; a name already given by the query wins.
    for (size_t i = first_own; i < items.size(); ++i) {
      if (items[i].first == key) { status = make_error(err::kDuplicateParam); return; }
    }
    for (size_t i = 0; i < keep_before; ++i) {
      if (items[i].first != key) continue;
      if (std::find(shadowed.begin(), shadowed.end(), key) != shadowed.end()) {
        status = make_error(err::kDuplicateParam);
      } else {
        shadowed.push_back(std::move(key));
      }
      return;
    }
    out.add(std::move(key), std::move(value));
  });
  return status;
}

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

Result<std::string> percent_decode(std::string_view text, std::string_view param_name) {
  std::string out;
  if (!decode_into(text, out)) return make_error(err::kIllegalChars, param_name, "percent-encoded bytes");
  return out;
}

Result<Params> parse_params(std::string_view query, std::string_view body) {
  Params params;
  params.reserve(16);
  if (auto s = parse_into(query, params, 0); !s) return s.error();
  const size_t from_query = params.items().size();
  if (auto s = parse_into(body, params, from_query); !s) return s.error();
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
