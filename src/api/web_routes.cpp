// The web console's files, served from memory with a strict Content-Security-Policy.

#include "api/api.hpp"
#include "api/web_assets.hpp"

namespace kg::api {

namespace {
// Only this origin's scripts and styles; images may be data: URLs (the 2FA QR code).
constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

Response asset_response(const WebAsset& a) {
  Response r;
  r.content_type = std::string(a.content_type);
  r.body = std::string(a.body);
  r.headers = {{"Content-Security-Policy", kCsp},
               {"X-Content-Type-Options", "nosniff"},
               {"X-Frame-Options", "DENY"},
               {"Referrer-Policy", "no-referrer"},
               {"Cache-Control", a.path.ends_with(".html") ? "no-store" : "no-cache"}};
  return r;
}
}  // namespace

void add_web_routes(Router& router) {
  for (const WebAsset& a : web_assets()) {
    router.add({"GET", std::string(a.path), Security::kNone, 0, false, [&a](Context&) { return asset_response(a); }});
    if (a.path == "/index.html") {
      router.add({"GET", "/", Security::kNone, 0, false, [&a](Context&) { return asset_response(a); }});
    }
  }
}

}  // namespace kg::api
