// libFuzzer target: console request bodies (api/json_body), JsonBody::parse with the field lists
// the console routes use, then every typed getter on every field. Oracles: parse fails only with
// -7006 (not a JSON object) or -1104 naming the first field outside the list; an accepted body
// holds only allowed names; and each getter agrees with what Boost.JSON's own DOM says about the
// field (present, null, type, range), with -1102 naming the field, and never throws.
// Input: byte 0 picks the field list, the rest is the body.

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/json_body.hpp"

namespace {
namespace json = boost::json;
using kg::api::JsonBody;

void check(bool cond) {
  if (!cond) std::abort();
}

// The lists of api/key_routes.cpp, console_routes.cpp and console_wallet_routes.cpp.
constexpr std::array<std::string_view, 10> kNewKey = {
    "label",       "type",        "publicKey", "permissions", "readOnly",
    "ipAllowlist", "allowAllIps", "active",    "expiresAt",   "totp"};
constexpr std::array<std::string_view, 3> kKeyLimits = {"ordersPer10s", "weightPerMinute", "totp"};
constexpr std::array<std::string_view, 3> kLogin = {"email", "password", "totp"};
constexpr std::array<std::string_view, 6> kAddress = {"asset", "network", "address",
                                                      "tag",   "label",   "totp"};
constexpr std::array<std::string_view, 3> kKeyRules = {"addressIds", "dailyCaps", "totp"};
constexpr std::array<std::string_view, 0> kNone = {};

template <size_t N, size_t... I>
kg::Result<JsonBody> parse_as(std::string_view body, const std::array<std::string_view, N>& names,
                              std::index_sequence<I...>) {
  return JsonBody::parse(body, {names[I]...});
}

template <size_t N>
kg::Result<JsonBody> parse_with(std::string_view body, const std::array<std::string_view, N>& names,
                                std::vector<std::string_view>& allowed) {
  allowed.assign(names.begin(), names.end());
  return parse_as(body, names, std::make_index_sequence<N>{});
}

bool mentions(const kg::Error& e, std::string_view name) {
  std::string quoted;
  quoted.reserve(name.size() + 2);
  quoted.append(1, '\'').append(name).append(1, '\'');
  return e.msg.find(quoted) != std::string::npos;
}

// A getter's failure: -1102 naming the field.
template <typename T>
void check_refused(const kg::Result<T>& r, std::string_view name) {
  check(!r && r.error().code == -1102 && r.error().http == 400 && mentions(r.error(), name));
}

void check_getters(const JsonBody& body, const json::object& dom, std::string_view name) {
  const json::value* v = dom.if_contains(name);
  const bool absent = v == nullptr || v->is_null();

  auto req = body.required_string(name);
  if (v && v->is_string() && !v->as_string().empty()) {
    check(req && *req == std::string_view(v->as_string()));
  } else {
    check_refused(req, name);
  }

  auto str = body.optional_string(name);
  if (absent) {
    check(str && !*str);
  } else if (v->is_string()) {
    check(str && *str && **str == std::string_view(v->as_string()));
  } else {
    check_refused(str, name);
  }

  auto flag = body.optional_bool(name);
  if (absent) {
    check(flag && !*flag);
  } else if (v->is_bool()) {
    check(flag && *flag == v->as_bool());
  } else {
    check_refused(flag, name);
  }

  auto num = body.optional_int64(name);
  if (absent) {
    check(num && !*num);
  } else if (v->is_int64()) {
    check(num && *num == v->as_int64());
  } else if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    check(num && **num == static_cast<int64_t>(v->as_uint64()));
  } else {
    check_refused(num, name);
  }

  auto strs = body.optional_strings(name);
  const bool all_strings = v && v->is_array() &&
                           std::all_of(v->as_array().begin(), v->as_array().end(),
                                       [](const json::value& e) { return e.is_string(); });
  if (absent) {
    check(strs && !*strs);
  } else if (all_strings) {
    check(strs && *strs && (*strs)->size() == v->as_array().size());
    for (size_t i = 0; i < (*strs)->size(); ++i)
      check((**strs)[i] == std::string_view(v->as_array()[i].as_string()));
  } else {
    check_refused(strs, name);
  }

  auto nums = body.optional_int64s(name);
  const bool all_ints = v && v->is_array() && v->as_array().size() <= 1000 &&
                        std::all_of(v->as_array().begin(), v->as_array().end(),
                                    [](const json::value& e) { return e.is_int64(); });
  if (absent) {
    check(nums && !*nums);
  } else if (all_ints) {
    check(nums && *nums && (*nums)->size() == v->as_array().size());
    for (size_t i = 0; i < (*nums)->size(); ++i) check((**nums)[i] == v->as_array()[i].as_int64());
  } else {
    check_refused(nums, name);
  }

  auto map = body.optional_string_map(name);
  const bool string_map = v && v->is_object() && v->as_object().size() <= 1000 &&
                          std::all_of(v->as_object().begin(), v->as_object().end(),
                                      [](const auto& kv) { return kv.value().is_string(); });
  if (absent) {
    check(map && !*map);
  } else if (string_map) {
    check(map && *map && (*map)->size() == v->as_object().size());
    size_t i = 0;
    for (const auto& kv : v->as_object()) {
      check((**map)[i].first == std::string_view(kv.key()));
      check((**map)[i].second == std::string_view(kv.value().as_string()));
      ++i;
    }
  } else {
    check_refused(map, name);
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string_view> allowed;
  auto parsed = [&] {
    switch (data[0] % 6) {
      case 0:
        return parse_with(body, kNewKey, allowed);
      case 1:
        return parse_with(body, kKeyLimits, allowed);
      case 2:
        return parse_with(body, kLogin, allowed);
      case 3:
        return parse_with(body, kAddress, allowed);
      case 4:
        return parse_with(body, kKeyRules, allowed);
      default:
        return parse_with(body, kNone, allowed);
    }
  }();
  auto is_allowed = [&](std::string_view k) {
    return std::find(allowed.begin(), allowed.end(), k) != allowed.end();
  };

  // What Boost.JSON's DOM makes of the same body (an empty or blank body is an empty object).
  json::object dom;
  boost::system::error_code ec;
  bool dom_object = true;
  if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    json::value v = json::parse(body, ec);
    dom_object = !ec && v.is_object();
    if (dom_object) dom = std::move(v.as_object());
  }
  const auto unknown =
      std::find_if(dom.begin(), dom.end(), [&](const auto& kv) { return !is_allowed(kv.key()); });

  if (!parsed) {
    const kg::Error& e = parsed.error();
    check(e.http == 400);
    if (e.code == -7006) {
      check(!dom_object);
    } else {
      // -1104 names the first field that is not allowed.
      check(e.code == -1104 && dom_object && unknown != dom.end() && mentions(e, unknown->key()));
    }
    return 0;
  }
  check(dom_object && unknown == dom.end());
  try {
    for (std::string_view name : allowed) check_getters(*parsed, dom, name);
    // Names outside the list read as absent (the body could not hold them).
    for (std::string_view name : {"x", "", "signature"}) {
      if (!is_allowed(name)) check_getters(*parsed, json::object{}, name);
    }
  } catch (...) {
    std::abort();  // getters report with -1102; they never throw
  }
  return 0;
}
