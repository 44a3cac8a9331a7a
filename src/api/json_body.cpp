#include "api/json_body.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace kg::api {

Result<JsonBody> JsonBody::parse(std::string_view body, std::initializer_list<std::string_view> allowed) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return JsonBody(boost::json::object{});
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return make_error(err::kBadJson);
  auto& obj = v.as_object();
  for (const auto& kv : obj) {
    if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end()) {
      return make_error(err::kUnknownParam, std::string(kv.key()));
    }
  }
  return JsonBody(std::move(obj));
}

Result<std::string> JsonBody::required_string(std::string_view name) const {
  const auto* v = obj_.if_contains(name);
  if (!v || !v->is_string() || v->as_string().empty()) return make_error(err::kBadParam, name);
  return std::string(v->as_string());
}

Result<std::optional<std::string>> JsonBody::optional_string(std::string_view name) const {
  const auto* v = obj_.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::string>{};
  if (!v->is_string()) return make_error(err::kBadParam, name);
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<std::optional<bool>> JsonBody::optional_bool(std::string_view name) const {
  const auto* v = obj_.if_contains(name);
  if (!v || v->is_null()) return std::optional<bool>{};
  if (!v->is_bool()) return make_error(err::kBadParam, name);
  return std::optional<bool>(v->as_bool());
}

Result<std::optional<int64_t>> JsonBody::optional_int64(std::string_view name) const {
  const auto* v = obj_.if_contains(name);
  if (!v || v->is_null()) return std::optional<int64_t>{};
  if (v->is_int64()) return std::optional<int64_t>(v->as_int64());
  if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return std::optional<int64_t>(static_cast<int64_t>(v->as_uint64()));
  }
  return make_error(err::kBadParam, name);
}

Result<std::optional<std::vector<std::string>>> JsonBody::optional_strings(std::string_view name) const {
  const auto* v = obj_.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::vector<std::string>>{};
  if (!v->is_array()) return make_error(err::kBadParam, name);
  std::vector<std::string> out;
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) return make_error(err::kBadParam, name);
    out.emplace_back(item.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<std::vector<int64_t>>> JsonBody::optional_int64s(std::string_view name) const {
  const auto* v = obj_.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::vector<int64_t>>{};
  if (!v->is_array() || v->as_array().size() > 1000) return make_error(err::kBadParam, name);
  std::vector<int64_t> out;
  for (const auto& item : v->as_array()) {
    if (!item.is_int64()) return make_error(err::kBadParam, name);
    out.push_back(item.as_int64());
  }
  return std::optional<std::vector<int64_t>>(std::move(out));
}

Result<std::optional<std::vector<std::pair<std::string, std::string>>>> JsonBody::optional_string_map(
    std::string_view name) const {
  using Map = std::vector<std::pair<std::string, std::string>>;
  const auto* v = obj_.if_contains(name);
  if (!v || v->is_null()) return std::optional<Map>{};
  if (!v->is_object() || v->as_object().size() > 1000) return make_error(err::kBadParam, name);
  Map out;
  for (const auto& [k, item] : v->as_object()) {
    if (!item.is_string()) return make_error(err::kBadParam, name);
    out.emplace_back(std::string(k), std::string(item.as_string()));
  }
  return std::optional<Map>(std::move(out));
}

Response json_response(const boost::json::value& value, int status) {
  Response r;
  r.status = status;
  r.body = boost::json::serialize(value);
  return r;
}

void append_json_string(std::string& out, std::string_view s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c != '"' && c != '\\' && c < 0x7f; });
  if (!plain) {
    out += boost::json::serialize(boost::json::string_view(s.data(), s.size()));
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

Response error_response(const Error& error) {
  Response r = json_response(boost::json::object{{"code", error.code}, {"msg", error.msg}}, error.http);
  r.error = std::to_string(error.code) + " " + error.msg;
  return r;
}

}  // namespace kg::api
