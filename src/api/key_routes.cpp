// The console's API-key management: create, list, activate/deactivate, relabel, delete,
// delete all, rotate, and each key's access log. Anything that adds power needs a fresh 2FA code.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/api.hpp"
#include "api/json_body.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;

json::value time_or_null(int64_t ms) { return ms == 0 ? json::value(nullptr) : json::value(ms); }

json::array strings(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.emplace_back(s);
  return out;
}

// The key's own rate limits; null where it has none.
json::object limits_json(const keys::KeyLimits& l) {
  auto limit = [](int64_t v) { return v == 0 ? json::value(nullptr) : json::value(v); };
  return json::object{{"ordersPer10s", limit(l.orders_per_10s)}, {"weightPerMinute", limit(l.weight_per_minute)}};
}

json::object key_json(const keys::ApiKey& k, int64_t now) {
  const char* status = !k.active ? "INACTIVE" : k.expired(now) ? "EXPIRED" : "ACTIVE";
  return json::object{{"apiKey", k.api_key},
                      {"label", k.label},
                      {"type", keys::key_type_name(k.type)},
                      {"permissions", strings(keys::permission_names(k.permissions))},
                      {"effectivePermissions", strings(keys::permission_names(k.effective_permissions(now)))},
                      {"readOnly", k.read_only},
                      {"ipAllowlist", strings(k.allowlist.to_strings())},
                      {"allowAllIps", k.allowlist.empty()},
                      {"active", k.active},
                      {"status", status},
                      {"createdAt", k.created_at},
                      {"expiresAt", time_or_null(k.expires_at)},
                      {"tradingAuthorityExpirationTime", time_or_null(k.trade_expires_at)},
                      {"lastUsedAt", time_or_null(k.last_used_at)},
                      {"lastUsedIp", k.last_used_ip.empty() ? json::value(nullptr) : json::value(k.last_used_ip)},
                      {"limits", limits_json(k.limits)}};
}

keys::Owner owner_of(const accounts::User& u) { return {u.id, u.totp_enabled, u.api_access}; }

// Reads the creation form; the first bad field is the error.
Result<keys::NewKey> read_new_key(const JsonBody& body) {
  keys::NewKey k;
  auto label = body.optional_string("label");
  if (!label) return label.error();
  if (!*label) return make_error(err::kBadParam, "label");
  k.label = **label;  // an empty label is the service's -7303
  auto type = body.optional_string("type");
  if (!type) return type.error();
  if (*type) k.type = **type;
  auto pem = body.optional_string("publicKey");
  if (!pem) return pem.error();
  k.public_key = *pem;
  auto permissions = body.optional_strings("permissions");
  if (!permissions) return permissions.error();
  if (!*permissions) return make_error(err::kBadParam, "permissions");
  k.permissions = **permissions;
  auto read_only = body.optional_bool("readOnly");
  if (!read_only) return read_only.error();
  k.read_only = read_only->value_or(false);
  auto ips = body.optional_strings("ipAllowlist");
  if (!ips) return ips.error();
  k.ip_allowlist = *ips;
  auto allow_all = body.optional_bool("allowAllIps");
  if (!allow_all) return allow_all.error();
  k.allow_all_ips = allow_all->value_or(false);
  auto active = body.optional_bool("active");
  if (!active) return active.error();
  k.active = active->value_or(true);
  auto expires = body.optional_int64("expiresAt");
  if (!expires) return expires.error();
  k.expires_at = *expires;
  return k;
}

Result<std::optional<std::string>> totp_of(const JsonBody& body) { return body.optional_string("totp"); }
}  // namespace

void add_key_routes(Router& router, const Services& s) {
  keys::KeyService& ks = s.keys;
  const Clock& clock = s.clock;

  router.add({"POST", "/console/v1/keys", Security::kConsole, 1, true, [&ks, &clock](Context& ctx) {
                auto body = JsonBody::parse(ctx.request.body, {"label", "type", "publicKey", "permissions", "readOnly",
                                                               "ipAllowlist", "allowAllIps", "active", "expiresAt", "totp"});
                if (!body) return error_response(body.error());
                auto req = read_new_key(*body);
                if (!req) return error_response(req.error());
                auto totp = body->required_string("totp");
                if (!totp) return error_response(totp.error());
                auto issued = ks.create(owner_of(*ctx.user), *req, *totp);
                if (!issued) return error_response(issued.error());
                json::object out = key_json(issued->key, clock.now_ms());
                if (!issued->secret.empty()) out["secretKey"] = issued->secret;  // shown this once only
                return json_response(out);
              }});

  router.add({"GET", "/console/v1/keys", Security::kConsole, 1, true, [&ks, &clock](Context& ctx) {
                json::array list;
                const int64_t now = clock.now_ms();
                for (const auto& k : ks.list(ctx.user->id)) list.push_back(key_json(k, now));
                return json_response(json::object{{"keys", std::move(list)},
                                                  {"maxKeys", ks.policy().max_keys_per_user}});
              }});

  router.add({"POST", "/console/v1/keys/delete-all", Security::kConsole, 1, true, [&ks](Context& ctx) {
                auto body = JsonBody::parse(ctx.request.body, {"totp"});
                if (!body) return error_response(body.error());
                auto totp = body->required_string("totp");
                if (!totp) return error_response(totp.error());
                auto n = ks.remove_all(ctx.user->id, *totp);
                if (!n) return error_response(n.error());
                return json_response(json::object{{"deleted", *n}});
              }});

  // {"label", "active", "permissions", "readOnly", "ipAllowlist" | "allowAllIps", "expiresAt",
  // "totp"}: any of them ("expiresAt": epoch ms in the future, or 0 for never). A change that lets
  // the key do more (a later expiry, or none, included) needs "totp"; narrowing one does not.
  router.add({"PATCH", "/console/v1/keys/{apiKey}", Security::kConsole, 1, true, [&ks, &clock](Context& ctx) {
                const std::string& api_key = ctx.path_params.at(0);
                auto body = JsonBody::parse(ctx.request.body, {"active", "label", "permissions", "readOnly",
                                                               "ipAllowlist", "allowAllIps", "expiresAt", "totp"});
                if (!body) return error_response(body.error());
                keys::KeyChange change;
                auto active = body->optional_bool("active");
                if (!active) return error_response(active.error());
                change.active = *active;
                auto label = body->optional_string("label");
                if (!label) return error_response(label.error());
                change.label = *label;
                auto permissions = body->optional_strings("permissions");
                if (!permissions) return error_response(permissions.error());
                change.permissions = *permissions;
                auto read_only = body->optional_bool("readOnly");
                if (!read_only) return error_response(read_only.error());
                change.read_only = *read_only;
                auto ips = body->optional_strings("ipAllowlist");
                if (!ips) return error_response(ips.error());
                change.ip_allowlist = *ips;
                auto allow_all = body->optional_bool("allowAllIps");
                if (!allow_all) return error_response(allow_all.error());
                change.allow_all_ips = *allow_all;
                auto expires = body->optional_int64("expiresAt");
                if (!expires) return error_response(expires.error());
                change.expires_at = *expires;
                auto totp = totp_of(*body);
                if (!totp) return error_response(totp.error());
                if (!change.active && !change.label && !change.permissions && !change.read_only &&
                    !change.ip_allowlist && !change.allow_all_ips && !change.expires_at) {
                  return error_response(make_error(err::kBadParam, "active"));
                }
                if (auto st = ks.update(ctx.user->id, api_key, change, *totp); !st) return error_response(st.error());
                auto key = ks.get(ctx.user->id, api_key);
                if (!key) return error_response(key.error());
                return json_response(key_json(*key, clock.now_ms()));
              }});

  // The key's own rate limits: {"ordersPer10s": 20, "weightPerMinute": null, "totp": "…"} (null or 0:
  // none of its own). Lowering needs no code; raising or removing one does.
  router.add({"PUT", "/console/v1/keys/{apiKey}/limits", Security::kConsole, 1, true, [&ks](Context& ctx) {
                auto body = JsonBody::parse(ctx.request.body, {"ordersPer10s", "weightPerMinute", "totp"});
                if (!body) return error_response(body.error());
                auto orders = body->optional_int64("ordersPer10s");
                if (!orders) return error_response(orders.error());
                auto weight = body->optional_int64("weightPerMinute");
                if (!weight) return error_response(weight.error());
                auto totp = totp_of(*body);
                if (!totp) return error_response(totp.error());
                const keys::KeyLimits limits{orders->value_or(0), weight->value_or(0)};
                if (auto st = ks.set_limits(ctx.user->id, ctx.path_params.at(0), limits, *totp); !st) {
                  return error_response(st.error());
                }
                return json_response(limits_json(limits));
              }});

  router.add({"DELETE", "/console/v1/keys/{apiKey}", Security::kConsole, 1, true, [&ks](Context& ctx) {
                if (auto st = ks.remove(ctx.user->id, ctx.path_params.at(0)); !st) return error_response(st.error());
                return json_response(json::object{});
              }});

  router.add({"POST", "/console/v1/keys/{apiKey}/rotate", Security::kConsole, 1, true, [&ks, &clock](Context& ctx) {
                auto body = JsonBody::parse(ctx.request.body, {"totp", "graceSeconds"});
                if (!body) return error_response(body.error());
                auto totp = body->required_string("totp");
                if (!totp) return error_response(totp.error());
                auto grace = body->optional_int64("graceSeconds");
                if (!grace) return error_response(grace.error());
                const int64_t grace_s = grace->value_or(0);
                auto issued = ks.rotate(ctx.user->id, ctx.path_params.at(0), *totp, grace_s);
                if (!issued) return error_response(issued.error());
                json::object out = key_json(issued->key, clock.now_ms());
                out["secretKey"] = issued->secret;
                out["previousSecretValidUntil"] = clock.now_ms() + grace_s * 1000;
                return json_response(out);
              }});

  router.add({"GET", "/console/v1/keys/{apiKey}/log", Security::kConsole, 1, true,
              [&ks, &log = s.access_log](Context& ctx) {
                auto key = ks.get(ctx.user->id, ctx.path_params.at(0));
                if (!key) return error_response(key.error());
                json::array entries;
                for (const auto& e : log.recent(key->id, 500)) {
                  entries.push_back(json::object{{"time", e.at},
                                                 {"ip", e.ip},
                                                 {"method", e.method},
                                                 {"path", e.path},
                                                 {"result", e.ok ? "ACCEPTED" : "REJECTED"},
                                                 {"status", e.status},
                                                 {"reason", e.reason},
                                                 {"count", e.count}});
                }
                return json_response(json::object{{"apiKey", key->api_key}, {"entries", std::move(entries)}});
              }});
}

}  // namespace kg::api
