// Binance's user data stream keys: POST /api/v3/userDataStream opens (or extends and gives back)
// the account's listen key, PUT keeps it alive, DELETE closes it and its streams. Key only
// (USER_STREAM), no signature; another account's listen key is as unknown as a made-up one.

#include <boost/json/object.hpp>

#include "api/api.hpp"
#include "api/json_body.hpp"
#include "api/params.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;
using keys::Permission;

Result<std::string> listen_key_param(const Context& ctx) {
  auto key = param(ctx, "listenKey");
  if (key.empty()) return make_error(err::kBadParam, "listenKey");
  return key;
}

}  // namespace

void add_user_stream_routes(Router& router, const Services& s) {
  router.add({"POST", "/api/v3/userDataStream", Security::kUserStream, 2, false, [&s](Context& ctx) {
                const auto& key = ctx.key->key;
                return json_response(json::object{{"listenKey", s.listen_keys.open(key.user_id, key.api_key)}});
              },
              Permission::kRead});
  router.add({"PUT", "/api/v3/userDataStream", Security::kUserStream, 2, false, [&s](Context& ctx) {
                auto key = listen_key_param(ctx);
                if (!key) return error_response(key.error());
                if (!s.listen_keys.keep_alive(ctx.key->key.user_id, ctx.key->key.api_key, *key)) return error_response(make_error(err::kNoListenKey));
                return json_response(json::object{});
              },
              Permission::kRead});
  router.add({"DELETE", "/api/v3/userDataStream", Security::kUserStream, 2, false, [&s](Context& ctx) {
                auto key = listen_key_param(ctx);
                if (!key) return error_response(key.error());
                if (!s.listen_keys.close(ctx.key->key.user_id, *key)) return error_response(make_error(err::kNoListenKey));
                return json_response(json::object{});
              },
              Permission::kRead});
}

}  // namespace kg::api
