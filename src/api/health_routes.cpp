// Liveness, readiness and Prometheus metrics.

#include <boost/json/object.hpp>

#include "api/api.hpp"
#include "api/json_body.hpp"

namespace kg::api {

void add_health_routes(Router& router, const Services& s) {
  router.add({"GET", "/healthz", Security::kNone, 0, false, [](Context&) {
                return json_response(boost::json::object{{"status", "ok"}});
              }});
  router.add({"GET", "/readyz", Security::kNone, 0, false, [&ready = s.ready](Context&) {
                if (!ready.load()) return error_response(make_error(err::kUnavailable));
                return json_response(boost::json::object{{"status", "ready"}});
              }});
  router.add({"GET", "/metrics", Security::kNone, 0, false, [&metrics = s.metrics](Context&) {
                Response r;
                r.content_type = "text/plain; version=0.0.4";
                r.body = metrics.render();
                return r;
              }});
}

}  // namespace kg::api
