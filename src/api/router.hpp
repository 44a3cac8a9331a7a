#pragma once
// The route table as data: each route says how it is secured, what it weighs and whether its
// handler may block (touch the store, hash a password). The gatekeeper reads it; handlers never
// re-check authentication.

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "accounts/accounts.hpp"
#include "api/http.hpp"
#include "common/query.hpp"
#include "keys/api_key.hpp"

namespace kg::api {

enum class Security {
  kNone,        // public
  kConsole,     // a console session (Authorization: Bearer <token>)
  kUserStream,  // Binance USER_STREAM: API key only
  kUserData,    // Binance USER_DATA: API key + signature
  kTrade,       // Binance TRADE: API key + signature
};

struct Context {
  const Request& request;
  std::optional<accounts::User> user;  // set for kConsole routes
  std::vector<std::string> path_params;
  std::shared_ptr<const keys::KeyEntry> key;  // set for signed and key-only routes
  const Params* params = nullptr;             // set for signed and key-only routes
};

using Handler = std::function<Response(Context&)>;
// An answer that comes later, from any thread: `make` builds the response where the network layer
// wants it built (the connection's thread), so whoever calls the reply (the engine's thread, once
// a command is durable) only hands it over.
using Reply = std::function<void(std::function<Response()> make)>;
using AsyncHandler = std::function<void(Context&, Reply reply)>;

struct Route {
  Route(std::string method_, std::string path_, Security security_, int weight_, bool blocking_, Handler handler_,
        std::optional<keys::Permission> permission_ = std::nullopt)
      : method(std::move(method_)), path(std::move(path_)), security(security_), weight(weight_),
        blocking(blocking_), handler(std::move(handler_)), permission(permission_) {}

  std::string method;
  std::string path;  // segments in braces match any one segment: /console/v1/keys/{apiKey}
  Security security = Security::kNone;
  int weight = 1;
  // May the handler block (a store read, a wait)? Then the network layer runs it on the worker pool,
  // not on its own thread. For a route that answers later: may the part before it hands off block.
  bool blocking = false;
  Handler handler;
  std::optional<keys::Permission> permission;  // what the key must be allowed to do
  // Rate limits (api/rate_limit_gate.hpp). `weight` counts against the client IP's REQUEST_WEIGHT
  // (and the request against RAW_REQUESTS) before anything else runs, whatever the answer; routes of
  // weight 0 and everything under /console/ are not Binance's and count nowhere.
  // An order-placing route (POST /api/v3/order, order/oco, orderList/*, sor/order, cancelReplace)
  // sets counts_as_order: after the gatekeeper, the key's account is counted against ORDERS
  // (over it: 429 -1015, the handler does not run) and a 200 carries X-MBX-ORDER-COUNT-*:
  //   router.add(Route{"POST", "/api/v3/order", Security::kTrade, 1, true, handler,
  //                    keys::Permission::kTrade}.orders());
  bool counts_as_order = false;
  Route&& orders() && {
    counts_as_order = true;
    return std::move(*this);
  }
  // A weight that depends on the parameters (Binance's depth by `limit`, tickers by how many
  // symbols): given the raw query string, it replaces `weight`.
  std::function<int(std::string_view query)> weigh;
  // A handler that answers through a Reply instead of returning (order placement: it waits for the
  // engine's commit without holding a thread). `handler` is then the same, waiting for the reply.
  AsyncHandler async_handler;
  Route&& answers_later(AsyncHandler h) && {
    async_handler = h;
    handler = [h](Context& ctx) {
      std::promise<std::function<Response()>> ready;
      auto made = ready.get_future();
      h(ctx, [&ready](std::function<Response()> make) { ready.set_value(std::move(make)); });
      return made.get()();
    };
    return std::move(*this);
  }
  Route&& weighed(std::function<int(std::string_view query)> f) && {
    weigh = std::move(f);
    return std::move(*this);
  }
};

class Router {
 public:
  void add(Route route);
  struct Match {
    const Route* route = nullptr;  // nullptr: no route for this path and method
    bool path_known = false;       // the path exists under another method (405)
    std::vector<std::string> params;
  };
  Match match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  std::unordered_map<std::string, std::vector<size_t>> exact_;  // path -> route indexes
  std::vector<size_t> patterned_;
};

}  // namespace kg::api
