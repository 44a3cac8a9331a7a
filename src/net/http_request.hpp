#pragma once
// From Beast's parsed request to the API's: the method, the path and query split at the first
// '?', the body, and the headers with lower-case names; and the size of the request line and
// headers as sent, which the header limit is checked against. Shared by the HTTP session and the
// http_request fuzz target (tests/fuzz), so that the fuzzer runs the code the server runs.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>

#include "api/http.hpp"

namespace kg::net {

inline api::Request to_api_request(const boost::beast::http::request<boost::beast::http::string_body>& req,
                                   const std::string& remote_ip) {
  api::Request out;
  out.method = std::string(req.method_string());
  std::string_view target = req.target();
  size_t q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
  out.body = req.body();
  out.remote_ip = remote_ip;
  for (const auto& field : req) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  return out;
}

// The size of the request line and headers as sent (up to optional whitespace).
inline size_t header_size(const boost::beast::http::request<boost::beast::http::string_body>& req) {
  size_t n = req.method_string().size() + req.target().size() + 11 + 2;  // line + final CRLF
  for (const auto& f : req) n += f.name_string().size() + f.value().size() + 4;
  return n;
}

}  // namespace kg::net
