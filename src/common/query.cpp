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

// Calls fn(raw_key, raw_value) for each non-empty '&'-separated pair.
template <typename Fn>
void for_each_pair(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      fn(pair, std::string_view{});
    } else {
      fn(pair.substr(0, eq), pair.substr(eq + 1));
    }
  }
}

Status parse_into(std::string_view text, Params& out, size_t keep_before) {
  Status status = ok_status();
  const size_t first_own = out.items().size();
  for_each_pair(text, [&](std::string_view raw_key, std::string_view raw_value) {
    if (!status) return;
    auto key = percent_decode(raw_key, "name");
    if (!key) { status = key.error(); return; }
    auto value = percent_decode(raw_value, *key);
    if (!value) { status = value.error(); return; }
    const auto& items = out.items();
    // A name twice in the same source is refused; a name already given by the query wins.
    for (size_t i = first_own; i < items.size(); ++i) {
      if (items[i].first == *key) { status = make_error(err::kDuplicateParam); return; }
    }
    for (size_t i = 0; i < keep_before; ++i) {
      if (items[i].first == *key) return;
    }
    out.add(std::move(*key), std::move(*value));
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
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) {
        return make_error(err::kIllegalChars, param_name, "percent-encoded bytes");
      }
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) {
        return make_error(err::kIllegalChars, param_name, "percent-encoded bytes");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

Result<Params> parse_params(std::string_view query, std::string_view body) {
  Params params;
  if (auto s = parse_into(query, params, 0); !s) return s.error();
  const size_t from_query = params.items().size();
  if (auto s = parse_into(body, params, from_query); !s) return s.error();
  return params;
}

std::string signature_payload(std::string_view query, std::string_view body) {
  return without_signature(query) + without_signature(body);
}

}  // namespace kg
