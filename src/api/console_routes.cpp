// The console API for people: sign-up, login, sessions and two-factor authentication.

#include <boost/json/object.hpp>

#include "api/api.hpp"
#include "api/json_body.hpp"
#include "crypto/random.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;

json::object user_json(const accounts::User& u) {
  return json::object{{"uid", u.id},
                      {"email", u.email},
                      {"twoFactorEnabled", u.totp_enabled},
                      {"apiAccess", u.api_access},
                      {"createdAt", u.created_at}};
}

Response ok_or_error(const Status& s, json::object body) {
  return s ? json_response(body) : error_response(s.error());
}

// POST bodies carrying only a TOTP code.
Result<std::string> code_field(const Context& ctx) {
  auto body = JsonBody::parse(ctx.request.body, {"code"});
  if (!body) return body.error();
  return body->required_string("code");
}
}  // namespace

void add_console_routes(Router& router, const Services& s) {
  accounts::Accounts& acc = s.accounts;

  router.add({"POST", "/console/v1/signup", Security::kNone, 1, true, [&acc](Context& ctx) {
                auto body = JsonBody::parse(ctx.request.body, {"email", "password"});
                if (!body) return error_response(body.error());
                auto email = body->required_string("email");
                if (!email) return error_response(email.error());
                auto password = body->required_string("password");
                if (!password) return error_response(password.error());
                auto user = acc.signup(*email, *password);
                if (!user) return error_response(user.error());
                return json_response(json::object{
                    {"uid", user->id}, {"email", user->email}, {"twoFactorEnabled", false}});
              }});

  router.add({"POST", "/console/v1/login", Security::kNone, 1, true,
              [&acc, &clock = s.clock, &proxies = s.trusted_proxies](Context& ctx) {
                auto body = JsonBody::parse(ctx.request.body, {"email", "password", "totp"});
                if (!body) return error_response(body.error());
                auto email = body->required_string("email");
                if (!email) return error_response(email.error());
                auto password = body->required_string("password");
                if (!password) return error_response(password.error());
                auto totp = body->optional_string("totp");
                if (!totp) return error_response(totp.error());
                auto session = acc.login(*email, *password, *totp, ctx.request.remote_ip);
                if (!session) return error_response(session.error());
                Response r = json_response(json::object{{"token", session->token},
                                                        {"twoFactorEnabled", session->user.totp_enabled},
                                                        {"expiresAt", session->expires_at}});
                // For the browser console: the token in an HttpOnly cookie, and a CSRF token it can read.
                const int64_t max_age = (session->expires_at - clock.now_ms()) / 1000;
                const std::string secure = over_tls(ctx.request, proxies) ? "; Secure" : "";
                r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) + "=" + session->token +
                                                         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                                         std::to_string(max_age) + secure);
                r.headers.emplace_back("Set-Cookie", std::string(kCsrfCookie) + "=" + crypto::random_hex(16) +
                                                         "; Path=/; SameSite=Strict; Max-Age=" + std::to_string(max_age) +
                                                         secure);
                return r;
              }});

  router.add({"POST", "/console/v1/logout", Security::kConsole, 1, true, [&acc](Context& ctx) {
                std::string_view auth = ctx.request.header("authorization");
                acc.logout(auth.starts_with("Bearer ") ? std::string(auth.substr(7))
                                                       : std::string(cookie(ctx.request, kSessionCookie)));
                Response r = json_response(json::object{});
                r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
                r.headers.emplace_back("Set-Cookie", std::string(kCsrfCookie) + "=; Path=/; SameSite=Strict; Max-Age=0");
                return r;
              }});

  router.add({"GET", "/console/v1/me", Security::kConsole, 1, true,
              [](Context& ctx) { return json_response(user_json(*ctx.user)); }});

  router.add({"POST", "/console/v1/2fa/setup", Security::kConsole, 1, true, [&acc](Context& ctx) {
                if (auto body = JsonBody::parse(ctx.request.body, {}); !body) return error_response(body.error());
                auto setup = acc.totp_setup(ctx.user->id);
                if (!setup) return error_response(setup.error());
                return json_response(json::object{{"secret", setup->secret_base32},
                                                  {"otpauthUri", setup->otpauth_uri},
                                                  {"qrSvg", setup->qr_svg}});
              }});

  router.add({"POST", "/console/v1/2fa/enable", Security::kConsole, 1, true, [&acc](Context& ctx) {
                auto code = code_field(ctx);
                if (!code) return error_response(code.error());
                return ok_or_error(acc.totp_enable(ctx.user->id, *code), {{"twoFactorEnabled", true}});
              }});

  // Turning 2FA off deactivates every API key of the account, in the same transaction.
  router.add({"POST", "/console/v1/2fa/disable", Security::kConsole, 1, true,
              [&acc, &keys = s.keys, &clock = s.clock](Context& ctx) {
                auto code = code_field(ctx);
                if (!code) return error_response(code.error());
                const int64_t uid = ctx.user->id;
                auto status = acc.totp_disable(uid, *code, [&](store::Db& db) {
                  keys::KeyService::deactivate_all_in(db, uid, clock.now_ms());
                });
                if (status) keys.reload_user(uid);
                return ok_or_error(status, {{"twoFactorEnabled", false}});
              }});
}

}  // namespace kg::api
