#include "api/ws_frame.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <vector>

namespace kg::api {

namespace {
namespace json = boost::json;
using json::error_code;
using json::string_view;

// Builds the frame while the parser walks the text. Depth 1 is the frame object, depth 2 the
// params object; anything deeper (an array parameter) is kept as compact JSON text.
struct FrameHandler {
  static constexpr std::size_t max_array_size = 1024;
  static constexpr std::size_t max_object_size = 256;
  static constexpr std::size_t max_string_size = 64 * 1024;
  static constexpr std::size_t max_key_size = 256;

  WsFrame frame;
  std::string problem;  // what makes it not a request, once parsed
  int depth = 0;
  std::string top_key, param_key;
  bool in_params = false, params_seen = false, method_seen = false;
  std::string part;  // a string, key or number split over several callbacks
  // An array or object parameter being kept as text.
  int capture_depth = 0;
  std::string capture;
  std::vector<bool> first;  // per open container while capturing: no element yet

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) {
    if (problem.empty() && !method_seen) problem = "method";
    return true;
  }

  void separator() {
    if (capture_depth == 0) return;
    if (!first.empty() && !first.back()) capture += ',';
    if (!first.empty()) first.back() = false;
  }
  // A complete value `text` (JSON text when quoted is false, the raw scalar otherwise).
  void value(const std::string& text, const std::string& json_text) {
    if (capture_depth > 0) {
      separator();
      capture += json_text;
      return;
    }
    if (depth == 1) {
      if (top_key == "id") frame.id = json_text;
      if (top_key == "method") {
        if (json_text.empty() || json_text[0] != '"') problem = "method";
        frame.method = text;
        method_seen = true;
      }
      if (top_key == "params") problem = "params";
    } else if (depth == 2 && in_params) {
      frame.params.emplace_back(param_key, text);
    }
  }
  bool open(char c) {
    if (capture_depth > 0 || (depth == 2 && in_params)) {
      separator();
      capture_depth += 1;
      capture += c;
      first.push_back(true);
      return true;
    }
    if (c == '[') {
      if (depth == 0) problem = "frame";
      if (depth == 1 && top_key == "params") problem = "params";
      // An array elsewhere in the frame: skipped (kept as a capture that goes nowhere).
      capture_depth += 1;
      first.push_back(true);
      return true;
    }
    depth += 1;
    if (depth == 2 && top_key == "params") in_params = params_seen = true;
    return true;
  }
  bool close(char c) {
    if (capture_depth > 0) {
      capture += c;
      capture_depth -= 1;
      first.pop_back();
      if (capture_depth == 0) {
        if (depth == 2 && in_params) frame.params.emplace_back(param_key, capture);
        capture.clear();
      }
      return true;
    }
    if (depth == 2) in_params = false;
    depth -= 1;
    return true;
  }
  bool on_object_begin(error_code&) { return open('{'); }
  bool on_object_end(std::size_t, error_code&) { return close('}'); }
  bool on_array_begin(error_code&) { return open('['); }
  bool on_array_end(std::size_t, error_code&) { return close(']'); }

  bool on_key_part(string_view s, std::size_t, error_code&) {
    part.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    part.append(s.data(), s.size());
    if (capture_depth > 0) {
      separator();
      capture += json::serialize(json::string(part)) + ":";
      if (!first.empty()) first.back() = true;  // the value follows the key without a comma
    } else if (depth == 1) {
      top_key = part;
    } else if (depth == 2) {
      param_key = part;
    }
    part.clear();
    return true;
  }
  bool on_string_part(string_view s, std::size_t, error_code&) {
    part.append(s.data(), s.size());
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code&) {
    part.append(s.data(), s.size());
    value(part, json::serialize(json::string(part)));
    part.clear();
    return true;
  }
  bool on_number_part(string_view s, error_code&) {
    part.append(s.data(), s.size());
    return true;
  }
  bool number(string_view s) {
    part.append(s.data(), s.size());
    value(part, part);
    part.clear();
    return true;
  }
  bool on_int64(int64_t, string_view s, error_code&) { return number(s); }
  bool on_uint64(uint64_t, string_view s, error_code&) { return number(s); }
  bool on_double(double, string_view s, error_code&) { return number(s); }
  bool on_bool(bool b, error_code&) {
    value(b ? "true" : "false", b ? "true" : "false");
    return true;
  }
  bool on_null(error_code&) {
    value("", "null");
    return true;
  }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }
};

}  // namespace

Result<WsFrame> parse_ws_frame(std::string_view text) {
  if (text.empty() || text.front() != '{') return make_error(err::kBadJson);
  json::basic_parser<FrameHandler> parser{json::parse_options{}};
  error_code ec;
  const size_t n = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || n != text.size()) return make_error(err::kBadJson);
  FrameHandler& h = parser.handler();
  if (!h.problem.empty()) {
    return h.problem == "frame" ? make_error(err::kBadJson) : make_error(err::kBadParam, h.problem);
  }
  return std::move(h.frame);
}

}  // namespace kg::api
