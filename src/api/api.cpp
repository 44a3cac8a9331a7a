#include "api/api.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "api/json_body.hpp"
#include "store/db.hpp"

namespace kg::api {

Api::Api(Services services) : services_(services) {
  add_public_routes(router_, services_);
  add_console_routes(router_, services_);
  add_health_routes(router_, services_);
}

bool Api::blocking(const Request& request) const {
  auto m = router_.match(request.method, request.path);
  return m.route && m.route->blocking;
}

namespace {
std::string bearer_token(const Request& r) {
  std::string_view auth = r.header("authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (!auth.starts_with(kPrefix)) return {};
  return std::string(auth.substr(kPrefix.size()));
}
}  // namespace

Response Api::handle(const Request& request) {
  const auto started = std::chrono::steady_clock::now();
  auto m = router_.match(request.method, request.path);
  Response response;
  std::string route_label = "unmatched";
  if (!m.route) {
    response = error_response(make_error(m.path_known ? err::kMethodNotAllowed : err::kNotFound));
  } else {
    route_label = m.route->path;
    Context ctx{request, std::nullopt, std::move(m.params)};
    try {
      if (m.route->security == Security::kConsole) {
        auto user = services_.accounts.authenticate(bearer_token(request));
        if (!user) {
          response = error_response(user.error());
        } else {
          ctx.user = std::move(*user);
        }
      }
      if (m.route->security == Security::kNone || ctx.user) response = m.route->handler(ctx);
    } catch (const store::StoreError& e) {
      spdlog::error("event=store_error route={} error=\"{}\"", route_label, e.what());
      response = error_response(make_error(err::kStorage));
    } catch (const std::exception& e) {
      spdlog::error("event=handler_error route={} error=\"{}\"", route_label, e.what());
      response = error_response(make_error(err::kUnknown));
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  services_.metrics.record(route_label, response.status, seconds);
  return response;
}

}  // namespace kg::api
