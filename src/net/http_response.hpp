#pragma once
// An api::Response as the bytes of an HTTP/1.x response, in one buffer for one write: status line,
// Content-Type, the route's headers in order (Set-Cookie may repeat), Content-Length, Connection
// as the version needs it, then the body. Written directly rather than through Beast's serializer,
// whose buffer-sequence machinery cost more per answer than the signature check.

#include <boost/beast/http/status.hpp>

#include <string>

#include "api/http.hpp"

namespace kg::net {

inline std::string http_response_bytes(const api::Response& r, unsigned version, bool keep_alive) {
  // 1xx, 204 and 304 have no body (RFC 9110 §6.4.1), and so no Content-Length either.
  const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
  const auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(r.status));
  std::string out;
  size_t size = 96 + reason.size() + r.content_type.size() + r.body.size();
  for (const auto& [k, v] : r.headers) size += k.size() + v.size() + 4;
  out.reserve(size);
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\nContent-Type: ";
  out += r.content_type;
  out += "\r\n";
  for (const auto& [k, v] : r.headers) {
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  if (!bodiless) {
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  }
  // HTTP/1.1 is persistent unless it says close; HTTP/1.0 closes unless it says keep-alive.
  if (version >= 11 && !keep_alive) out += "Connection: close\r\n";
  if (version < 11 && keep_alive) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (!bodiless) out += r.body;
  return out;
}

}  // namespace kg::net
