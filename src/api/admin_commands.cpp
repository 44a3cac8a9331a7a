#include "api/admin_commands.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>

namespace kg::api {

namespace {
namespace json = boost::json;

std::string reply(bool ok, const std::string& text) {
  return json::serialize(json::object{{"ok", ok}, {"text", text}});
}

std::string field(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string iso_time(int64_t ms) {
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string user_table(const std::vector<accounts::User>& users) {
  std::string out = fmt::format("{:<8} {:<40} {:<4} {:<10} {:<7} {}\n", "UID", "EMAIL", "2FA", "API_ACCESS",
                                "LOCKED", "CREATED");
  for (const auto& u : users) {
    out += fmt::format("{:<8} {:<40} {:<4} {:<10} {:<7} {}\n", u.id, u.email, u.totp_enabled ? "on" : "off",
                       u.api_access ? "on" : "off", u.login_locked ? "yes" : "no", iso_time(u.created_at));
  }
  return out;
}
}  // namespace

std::string AdminCommands::run(std::string_view request_json) {
  boost::system::error_code ec;
  json::value v = json::parse(request_json, ec);
  if (ec || !v.is_object()) return reply(false, "malformed admin request");
  const json::object& req = v.as_object();
  const std::string cmd = field(req, "cmd");
  accounts::Accounts& acc = services_.accounts;
  try {
    if (cmd == "ping") return reply(true, "keygate is running");
    if (cmd == "user.create") {
      auto user = acc.signup(field(req, "email"), field(req, "password"));
      if (!user) return reply(false, user.error().msg);
      spdlog::info("event=admin_user_create uid={}", user->id);
      return reply(true, fmt::format("created user {} (uid {})", user->email, user->id));
    }
    if (cmd == "user.list") return reply(true, user_table(acc.list_users()));
    if (cmd == "user.set") {
      const std::string access = field(req, "apiAccess");
      if (access != "on" && access != "off") return reply(false, "--api-access must be on or off");
      auto s = acc.set_api_access(field(req, "email"), access == "on");
      if (!s) return reply(false, s.error().msg);
      return reply(true, fmt::format("API access {} for {}", access, field(req, "email")));
    }
    if (cmd == "user.unlock") {
      auto s = acc.unlock(field(req, "email"));
      if (!s) return reply(false, s.error().msg);
      return reply(true, fmt::format("unlocked {}", field(req, "email")));
    }
  } catch (const std::exception& e) {
    spdlog::error("event=admin_error cmd={} error=\"{}\"", cmd, e.what());
    return reply(false, std::string("command failed: ") + e.what());
  }
  return reply(false, "unknown admin command: " + cmd);
}

}  // namespace kg::api
