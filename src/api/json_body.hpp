#pragma once
// Console request bodies: a JSON object whose fields are all known (extra fields are refused,
// so nothing privileged can be slipped in), read with typed accessors that say which field is bad.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.hpp"
#include "common/result.hpp"

namespace kg::api {

class JsonBody {
 public:
  // An empty body is an empty object.
  static Result<JsonBody> parse(std::string_view body, std::initializer_list<std::string_view> allowed);

  Result<std::string> required_string(std::string_view name) const;
  Result<std::optional<std::string>> optional_string(std::string_view name) const;
  Result<std::optional<bool>> optional_bool(std::string_view name) const;
  Result<std::optional<int64_t>> optional_int64(std::string_view name) const;
  Result<std::optional<std::vector<std::string>>> optional_strings(std::string_view name) const;
  Result<std::optional<std::vector<int64_t>>> optional_int64s(std::string_view name) const;
  // A JSON object of strings, in its order: {"BTC": "0.5"}.
  Result<std::optional<std::vector<std::pair<std::string, std::string>>>> optional_string_map(std::string_view name) const;

 private:
  explicit JsonBody(boost::json::object obj) : obj_(std::move(obj)) {}
  boost::json::object obj_;
};

Response json_response(const boost::json::value& value, int status = 200);
// `s` as a JSON string, quotes included, escaped where JSON needs it: for answers written as text
// on hot paths instead of built as a boost::json::value.
void append_json_string(std::string& out, std::string_view s);
Response error_response(const Error& error);

}  // namespace kg::api
