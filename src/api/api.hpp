#pragma once
// The API: one entry point from the network layer. It matches the route, runs the gatekeeper
// for the route's security type, calls the handler and records metrics.

#include <atomic>
#include <string>

#include "accounts/accounts.hpp"
#include "api/http.hpp"
#include "api/metrics.hpp"
#include "api/router.hpp"
#include "common/clock.hpp"
#include "common/market.hpp"

namespace kg::api {

struct Services {
  accounts::Accounts& accounts;
  const Clock& clock;
  const ExchangeSpec& exchange;
  Metrics& metrics;
  std::atomic<bool>& ready;  // false until started and again while draining
};

class Api {
 public:
  explicit Api(Services services);

  // Whether the request's handler may block: such requests run on the worker pool, others
  // inline on the network thread.
  bool blocking(const Request& request) const;
  Response handle(const Request& request);
  Metrics& metrics() { return services_.metrics; }

 private:
  Services services_;
  Router router_;
};

void add_public_routes(Router& router, const Services& services);
void add_console_routes(Router& router, const Services& services);
void add_health_routes(Router& router, const Services& services);

}  // namespace kg::api
