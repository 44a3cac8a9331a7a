// Binance's WebSocket API at /ws-api/v3: {"id","method","params"} requests answered with
// {"id","status","result"|"error","rateLimits"}. Every trading and account method runs as the REST
// route it stands for (order.place is POST /api/v3/order), through the same rate limits,
// gatekeeper, handler and access log; only the signature differs: the params sorted by name, joined
// as k=v&… (raw, or percent-encoded as some clients sign them). session.logon authenticates the
// connection with an Ed25519 key, after which requests may leave out apiKey and signature; the key
// is checked again on every request, so one deactivated mid-session gets 401 -2015 at once.
// userDataStream.subscribe (after logon) and userDataStream.subscribe.signature push the account's
// events as {"subscriptionId","event"}.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "api/api.hpp"
#include "api/json_body.hpp"
#include "api/ws.hpp"
#include "api/ws_frame.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;

struct RestRoute {
  const char* method;
  const char* path;
};

// WebSocket API methods that are REST routes.
const std::map<std::string, RestRoute, std::less<>>& rest_routes() {
  static const std::map<std::string, RestRoute, std::less<>> kRoutes = {
      {"exchangeInfo", {"GET", "/api/v3/exchangeInfo"}},
      {"depth", {"GET", "/api/v3/depth"}},
      {"trades.recent", {"GET", "/api/v3/trades"}},
      {"trades.historical", {"GET", "/api/v3/historicalTrades"}},
      {"trades.aggregate", {"GET", "/api/v3/aggTrades"}},
      {"klines", {"GET", "/api/v3/klines"}},
      {"uiKlines", {"GET", "/api/v3/uiKlines"}},
      {"avgPrice", {"GET", "/api/v3/avgPrice"}},
      {"ticker.24hr", {"GET", "/api/v3/ticker/24hr"}},
      {"ticker.price", {"GET", "/api/v3/ticker/price"}},
      {"ticker.book", {"GET", "/api/v3/ticker/bookTicker"}},
      {"order.place", {"POST", "/api/v3/order"}},
      {"order.test", {"POST", "/api/v3/order/test"}},
      {"order.status", {"GET", "/api/v3/order"}},
      {"order.cancel", {"DELETE", "/api/v3/order"}},
      {"openOrders.status", {"GET", "/api/v3/openOrders"}},
      {"openOrders.cancelAll", {"DELETE", "/api/v3/openOrders"}},
      {"allOrders", {"GET", "/api/v3/allOrders"}},
      {"myTrades", {"GET", "/api/v3/myTrades"}},
      {"account.status", {"GET", "/api/v3/account"}},
      {"account.commission", {"GET", "/api/v3/account"}},
  };
  return kRoutes;
}

// As JavaScript's encodeURIComponent writes a value.
std::string percent_encode(std::string_view v) { return kg::percent_encode(v, "-_.!~*'()"); }

using Param = std::pair<std::string, std::string>;

const std::string* find(const std::vector<Param>& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return &v;
  }
  return nullptr;
}

// The signed text: every param but signature, sorted by name, k=v&…; raw and percent-encoded.
std::pair<std::string, std::string> payloads(std::vector<Param> params) {
  std::erase_if(params, [](const Param& p) { return p.first == "signature"; });
  std::stable_sort(params.begin(), params.end(), [](const Param& a, const Param& b) { return a.first < b.first; });
  std::string raw, encoded;
  for (const auto& [k, v] : params) {
    if (!raw.empty()) {
      raw += '&';
      encoded += '&';
    }
    raw += k + "=" + v;
    encoded += k + "=" + percent_encode(v);
  }
  return {raw, encoded};
}

std::string query_of(const std::vector<Param>& params) {
  std::string q;
  for (const auto& [k, v] : params) {
    if (!q.empty()) q += '&';
    q += percent_encode(k) + "=" + percent_encode(v);
  }
  return q;
}

class WsApiSession : public WsSession {
 public:
  WsApiSession(Api& api, const Services& s, std::string ip) : api_(api), s_(s), ip_(std::move(ip)) {}

  void on_open(const std::shared_ptr<streams::Sink>& connection) override {
    conn_ = connection;
    connected_ms_ = s_.clock.now_ms();
  }

  void on_text(std::string_view text) override {
    auto frame = parse_ws_frame(text);
    if (!frame) return reply_error("null", frame.error(), {});
    const std::string& m = frame->method;
    if (m == "ping") return reply(frame->id, 200, "{}", {});
    if (m == "time") return reply(frame->id, 200, "{\"serverTime\":" + std::to_string(s_.clock.now_ms()) + "}", {});
    if (m == "session.logon") return logon(*frame);
    if (m == "session.status") return reply(frame->id, 200, status_json(), {});
    if (m == "session.logout") {
      std::lock_guard lock(mu_);
      logged_on_.clear();
      authorized_ms_ = 0;
      return reply(frame->id, 200, status_json_locked(), {});
    }
    if (m == "userDataStream.subscribe") return subscribe(*frame, false);
    if (m == "userDataStream.subscribe.signature") return subscribe(*frame, true);
    if (m == "userDataStream.unsubscribe") return unsubscribe(*frame);
    auto route = rest_routes().find(m);
    if (route == rest_routes().end()) {
      return reply_error(frame->id, make_error(err::kBadParam, "method"), {});
    }
    call(*frame, route->second);
  }

  void on_close() override {
    if (conn_) s_.hub.drop(conn_.get());
    conn_.reset();
  }

  // Once a second: a logged-on key that went bad ends the session's user streams.
  void sweep(int64_t now_ms) {
    std::lock_guard lock(mu_);
    if (subscriptions_.empty() || stream_key_.empty() || s_.keys.index().usable_for_reading(stream_key_, now_ms)) return;
    for (const auto& [id, user] : subscriptions_) {
      s_.hub.unsubscribe_user(user, conn_.get());
      push("{\"subscriptionId\":" + std::to_string(id) + ",\"event\":{\"e\":\"eventStreamTerminated\",\"E\":" +
           std::to_string(now_ms) + "}}");
    }
    subscriptions_.clear();
  }

 private:
  // Runs the REST route the method stands for, authenticated by the frame's own signature or by
  // the session's key.
  void call(const WsFrame& frame, const RestRoute& route) {
    Request r;
    r.method = route.method;
    r.path = route.path;
    r.remote_ip = ip_;
    std::vector<Param> params = frame.params;
    const std::string* api_key = find(params, "apiKey");
    std::string session_key;
    {
      std::lock_guard lock(mu_);
      session_key = logged_on_;
    }
    if (!api_key && !find(params, "signature") && !session_key.empty()) {
      r.headers.emplace_back("x-mbx-apikey", session_key);
      r.ws_session_key = true;
    } else if (api_key) {
      r.headers.emplace_back("x-mbx-apikey", *api_key);
    }
    std::tie(r.ws_payload, r.ws_payload_encoded) = payloads(params);
    r.query = query_of(params);
    Response response = api_.handle(r);
    reply_response(frame.id, response);
  }

  void logon(const WsFrame& frame) {
    auto key = verify(frame);
    if (!key) return reply_error(frame.id, key.error(), {});
    if ((*key)->key.type != keys::KeyType::kEd25519) {
      return reply_error(frame.id, make_error(err::kUnauthorized), {});
    }
    {
      std::lock_guard lock(mu_);
      logged_on_ = (*key)->key.api_key;
      authorized_ms_ = s_.clock.now_ms();
    }
    reply(frame.id, 200, status_json(), {});
  }

  // A frame signed on its own (apiKey, timestamp, signature): the key, through the gatekeeper.
  Result<std::shared_ptr<const keys::KeyEntry>> verify(const WsFrame& frame,
                                                       std::optional<keys::Permission> required = std::nullopt) {
    const std::string* api_key = find(frame.params, "apiKey");
    const auto [payload, encoded] = payloads(frame.params);
    const std::string query = query_of(frame.params);
    auto params = parse_params(query, {});
    if (!params) return params.error();
    auth::SignedRequest req{api_key ? std::string_view(*api_key) : std::string_view{}, query, {}, *params, ip_,
                            "WS", frame.method, payload, encoded, false};
    auto passed = s_.gatekeeper.check(req, auth::Security::kUserData, required);
    if (!passed) return passed.error();
    s_.gatekeeper.record(*passed->key, req, 200, passed->checked_at_ms);
    return passed->key;
  }

  void subscribe(const WsFrame& frame, bool signed_frame) {
    std::string key_text;
    int64_t user = 0;
    if (signed_frame) {
      // The account's events are what GET /api/v3/account shows: READ, as for the listen key.
      auto key = verify(frame, keys::Permission::kRead);
      if (!key) return reply_error(frame.id, key.error(), {});
      key_text = (*key)->key.api_key;
      user = (*key)->key.user_id;
    } else {
      std::string session_key;
      {
        std::lock_guard lock(mu_);
        session_key = logged_on_;
      }
      auto entry = session_key.empty() ? nullptr : s_.keys.index().find(session_key);
      if (!entry || !s_.keys.index().usable_for_reading(session_key, s_.clock.now_ms())) {
        return reply_error(frame.id, make_error(err::kApiKeyRejected), {});
      }
      key_text = session_key;
      user = entry->key.user_id;
    }
    int64_t id = 0;
    {
      std::lock_guard lock(mu_);
      id = next_subscription_++;
      subscriptions_[id] = user;
      stream_key_ = key_text;
    }
    streams::Wrap wrap;
    wrap.kind = streams::Wrap::Kind::kSubscription;
    wrap.subscription_id = id;
    s_.hub.subscribe_user(user, conn_, wrap);
    reply(frame.id, 200, "{\"subscriptionId\":" + std::to_string(id) + "}", {});
  }

  void unsubscribe(const WsFrame& frame) {
    const std::string* which = find(frame.params, "subscriptionId");
    std::lock_guard lock(mu_);
    bool any = false;
    for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
      if (which && *which != std::to_string(it->first)) {
        ++it;
        continue;
      }
      any = true;
      it = subscriptions_.erase(it);
    }
    // The hub keeps one subscription per user and connection: drop them all, then put back those
    // that remain.
    s_.hub.drop(conn_.get());
    for (const auto& [id, user] : subscriptions_) {
      streams::Wrap wrap;
      wrap.kind = streams::Wrap::Kind::kSubscription;
      wrap.subscription_id = id;
      s_.hub.subscribe_user(user, conn_, wrap);
    }
    if (which && !any) {
      push(response_text(frame.id, 400, "", R"({"code":-2035,"msg":"User Data Stream subscription not active."})", {}));
      return;
    }
    push(response_text(frame.id, 200, "{}", "", {}));
  }

  std::string status_json() {
    std::lock_guard lock(mu_);
    return status_json_locked();
  }
  std::string status_json_locked() const {
    json::object o{{"apiKey", logged_on_.empty() ? json::value(nullptr) : json::value(logged_on_)},
                   {"authorizedSince", authorized_ms_ ? json::value(authorized_ms_) : json::value(nullptr)},
                   {"connectedSince", connected_ms_},
                   {"returnRateLimits", true},
                   {"serverTime", s_.clock.now_ms()},
                   {"userDataStream", !subscriptions_.empty()}};
    return json::serialize(o);
  }

  // The REST answer as a WebSocket API response: its body as result or error, its rate-limit
  // headers as rateLimits.
  void reply_response(const std::string& id, const Response& response) {
    std::string limits = rate_limits_json(response);
    if (response.status == 200) return push(response_text(id, 200, response.body, "", limits));
    push(response_text(id, response.status, "", response.body, limits));
  }

  std::string rate_limits_json(const Response& response) const {
    json::array out;
    auto& limiter = api_.rate_limiter();
    auto add = [&](const std::vector<auth::RateLimiter::Limit>& limits) {
      for (const auto& l : limits) {
        if (l.header.empty()) continue;
        for (const auto& [k, v] : response.headers) {
          if (k != l.header) continue;
          out.push_back(json::object{{"rateLimitType", l.spec.type},
                                     {"interval", l.spec.interval},
                                     {"intervalNum", l.spec.interval_num},
                                     {"limit", l.spec.limit},
                                     {"count", std::stoll(v)}});
        }
      }
    };
    add(limiter.ip_limits());
    add(limiter.order_limits());
    return json::serialize(out);
  }

  static std::string response_text(const std::string& id, int status, const std::string& result,
                                   const std::string& error, const std::string& limits) {
    std::string out = "{\"id\":" + id + ",\"status\":" + std::to_string(status);
    out += result.empty() ? ",\"error\":" + error : ",\"result\":" + result;
    if (!limits.empty()) out += ",\"rateLimits\":" + limits;
    out += '}';
    return out;
  }
  void reply(const std::string& id, int status, const std::string& result, const std::string& limits) {
    push(response_text(id, status, result, "", limits));
  }
  void reply_error(const std::string& id, const Error& e, const std::string& limits) {
    push(response_text(id, e.http, "", json::serialize(json::object{{"code", e.code}, {"msg", e.msg}}), limits));
  }
  void push(std::string text) {
    if (conn_) conn_->push(std::make_shared<const std::string>(std::move(text)));
  }

  Api& api_;
  const Services& s_;
  const std::string ip_;
  std::shared_ptr<streams::Sink> conn_;
  int64_t connected_ms_ = 0;
  std::mutex mu_;
  std::string logged_on_;  // the API key of session.logon
  int64_t authorized_ms_ = 0;
  std::string stream_key_;  // the key behind the user stream subscriptions
  std::map<int64_t, int64_t> subscriptions_;  // subscriptionId -> user
  int64_t next_subscription_ = 0;
};

}  // namespace

std::shared_ptr<WsSession> Api::open_ws_api(const Request& r) {
  auto session = std::make_shared<WsApiSession>(*this, services_, client_ip(r, services_.trusted_proxies));
  std::lock_guard lock(ws_api_mu_);
  std::erase_if(ws_api_sessions_, [](const std::weak_ptr<WsSession>& w) { return w.expired(); });
  ws_api_sessions_.push_back(session);
  return session;
}

void Api::sweep_ws_sessions(int64_t now_ms) {
  std::vector<std::shared_ptr<WsSession>> live;
  {
    std::lock_guard lock(ws_api_mu_);
    for (const auto& w : ws_api_sessions_) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) static_cast<WsApiSession&>(*s).sweep(now_ms);
}

}  // namespace kg::api
