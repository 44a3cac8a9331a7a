// libFuzzer target: WebSocket API request frames (api/ws_frame), parse_ws_frame on any text.
// Oracles: it fails only with -7006 or -1102 (api/ws_frame.hpp); a frame it accepts is a JSON
// object to Boost.JSON's DOM too, with the same method, an id that is JSON text equal to the DOM's
// id, and each parameter's text meaning what the DOM holds for it (strings without quotes,
// numbers, booleans, null as "", arrays and objects as compact JSON); and the frame written
// back out (id as is, method and every parameter as JSON strings) parses to the same frame.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/ws_frame.hpp"

namespace {
namespace json = boost::json;

void check(bool cond) {
  if (!cond) std::abort();
}

std::string quoted(std::string_view s) {
  return json::serialize(json::string(s));
}

// Boost.JSON 1.81 reads a long decimal such as 55.54444444444444444444444 an ulp or so apart
// depending on what follows it in the buffer (a number alone vs inside an object), and 0e+04000
// as NaN (0 times an infinite power of ten): doubles are compared to within a few ulps, NaN equal
// to NaN; everything else exactly. (The frame keeps numbers as written, so neither reaches
// keygate.)
bool same_value(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double() && a != b) {
    const double x = a.as_double(), y = b.as_double();
    if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
    return std::abs(x - y) <= 1e-15 * std::max(std::abs(x), std::abs(y));
  }
  if (a.is_array() && b.is_array()) {
    if (a.as_array().size() != b.as_array().size()) return false;
    for (size_t i = 0; i < a.as_array().size(); ++i) {
      if (!same_value(a.as_array()[i], b.as_array()[i])) return false;
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    if (a.as_object().size() != b.as_object().size()) return false;
    for (const auto& kv : a.as_object()) {
      const json::value* other = b.as_object().if_contains(kv.key());
      if (!other || !same_value(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

// `text` is how the frame kept a parameter whose DOM value is `v`.
bool same_param(const std::string& text, const json::value& v) {
  if (v.is_string()) return text == std::string_view(v.as_string());
  if (v.is_null()) return text.empty();
  if (v.is_bool()) return text == (v.as_bool() ? "true" : "false");
  // Numbers as written, containers as compact JSON: either way JSON text of the same value.
  boost::system::error_code ec;
  json::value back = json::parse(text, ec);
  return !ec && same_value(back, v);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto frame = kg::api::parse_ws_frame(text);
  if (!frame) {
    const int code = frame.error().code;
    check(code == -7006 || code == -1102);
    return 0;
  }

  // The id is JSON text of a scalar.
  boost::system::error_code ec;
  const json::value id = json::parse(frame->id, ec);
  check(!ec && !id.is_object() && !id.is_array());

  // Boost.JSON's DOM agrees (a repeated key: the DOM keeps the last, as the frame does).
  const json::value dom = json::parse(text, ec);
  check(!ec && dom.is_object());
  const json::object& obj = dom.as_object();
  // (A repeated "method" whose last value is an object or array: the frame keeps the last string.)
  const json::value* method = obj.if_contains("method");
  check(method && !method->is_number() && !method->is_bool() && !method->is_null());
  if (method->is_string()) check(frame->method == std::string_view(method->as_string()));
  if (const json::value* dom_id = obj.if_contains("id")) {
    if (!dom_id->is_object() && !dom_id->is_array()) check(same_value(id, *dom_id));
  } else {
    check(frame->id == "null");
  }
  if (const json::value* params = obj.if_contains("params")) {
    check(params->is_object());
    for (const auto& kv : params->as_object()) {
      const std::string* last = nullptr;
      for (const auto& [k, v] : frame->params) {
        if (k == std::string_view(kv.key())) last = &v;
      }
      check(last != nullptr && same_param(*last, kv.value()));
    }
  } else {
    check(frame->params.empty());
  }

  // Written back out with every parameter as a string, it parses to the same frame. (A long
  // input could grow past the parser's string limits once re-escaped: only short ones.)
  if (size > 8192) return 0;
  std::string again = "{\"id\":";
  again.append(frame->id)
      .append(",\"method\":")
      .append(quoted(frame->method))
      .append(",\"params\":{");
  for (size_t i = 0; i < frame->params.size(); ++i) {
    if (i > 0) again += ',';
    again.append(quoted(frame->params[i].first))
        .append(":")
        .append(quoted(frame->params[i].second));
  }
  again += "}}";
  auto reparsed = kg::api::parse_ws_frame(again);
  check(reparsed.ok());
  check(reparsed->id == frame->id && reparsed->method == frame->method &&
        reparsed->params == frame->params);
  return 0;
}
