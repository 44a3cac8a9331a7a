#pragma once
// A request and a response as the API layer sees them, independent of the HTTP library.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kg::api {

struct Request {
  std::string method;  // "GET"
  std::string path;    // "/api/v3/order"
  std::string query;   // raw, without '?'
  std::string body;
  std::string remote_ip;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  // WebSocket API requests only (api/ws_api.cpp), which run as the REST route they stand for: what
  // their signature covers (the params sorted by name, raw and percent-encoded), and whether the
  // session's logged-on key stands in for key and signature.
  std::string ws_payload;
  std::string ws_payload_encoded;
  bool ws_session_key = false;

  std::string_view header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return v;
    }
    return {};
  }
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string error;  // "code msg" of an error response, for the key's access log; never sent
};

}  // namespace kg::api
