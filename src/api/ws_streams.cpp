// Binance's WebSocket market and user data streams: /ws/<stream> (raw frames), /stream?streams=a/b
// (each frame {"stream","data"}), /ws/<listenKey>; SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS,
// SET_PROPERTY and GET_PROPERTY ("combined") frames; at most 1,024 streams and 5 incoming
// messages a second per connection (more closes it), as Binance has it.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

#include "api/api.hpp"
#include "api/json_body.hpp"
#include "api/ws.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;

constexpr size_t kMaxStreams = 1024;
constexpr int kMaxMessagesPerSecond = 5;

bool is_market_stream(std::string_view name) {
  return name.find('@') != std::string_view::npos;
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t at = text.find(sep);
    if (at != 0) out.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

class StreamSession : public WsSession, public std::enable_shared_from_this<StreamSession> {
 public:
  StreamSession(const Services& s, bool combined, std::vector<std::string> initial)
      : s_(s), combined_(combined), initial_(std::move(initial)) {}

  void on_open(const std::shared_ptr<streams::Sink>& connection) override {
    conn_ = connection;
    for (const auto& name : initial_) subscribe(name);
  }

  void on_text(std::string_view text) override {
    if (!within_rate()) {
      spdlog::info("event=ws_closed reason=\"more than {} messages a second\"", kMaxMessagesPerSecond);
      conn_->close();
      return;
    }
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return reply_error(json::value(nullptr), 3, "Invalid JSON: " + ec.message());
    if (!v.is_object()) return reply_error(json::value(nullptr), 2, "Invalid request: expected an object");
    const json::object& req = v.as_object();
    const json::value id = req.contains("id") ? req.at("id") : json::value(nullptr);
    if (!id.is_null() && !id.is_uint64() && !id.is_int64() && !id.is_string()) {
      return reply_error(json::value(nullptr), 2, "Invalid request: request ID must be an unsigned integer or a string");
    }
    const json::value* method = req.if_contains("method");
    if (!method || !method->is_string()) return reply_error(id, 2, "Invalid request: missing field `method`");
    const std::string_view m = method->as_string();
    const json::value* params = req.if_contains("params");
    if (m == "SUBSCRIBE" || m == "UNSUBSCRIBE") {
      if (!params || !params->is_array()) return reply_error(id, 2, "Invalid request: missing field `params`");
      std::vector<std::string> names;
      for (const auto& p : params->as_array()) {
        if (!p.is_string()) return reply_error(id, 2, "Invalid request: a stream name must be a string");
        names.emplace_back(p.as_string());
      }
      if (m == "SUBSCRIBE") {
        for (const auto& n : names) {
          if (!valid(n)) return reply_error(id, 2, "Invalid request: invalid stream name '" + n + "'");
        }
        if (subscribed_.size() + names.size() > kMaxStreams) {
          return reply_error(id, 2, "Invalid request: at most " + std::to_string(kMaxStreams) + " streams a connection");
        }
        for (const auto& n : names) subscribe(n);
      } else {
        for (const auto& n : names) unsubscribe(n);
      }
      return reply(id, json::value(nullptr));
    }
    if (m == "LIST_SUBSCRIPTIONS") {
      json::array out;
      for (const auto& n : subscribed_) out.emplace_back(n);
      return reply(id, out);
    }
    if (m == "SET_PROPERTY" || m == "GET_PROPERTY") {
      if (!params || !params->is_array() || params->as_array().empty() || !params->as_array()[0].is_string()) {
        return reply_error(id, 2, "Invalid request: property name must be a string");
      }
      if (params->as_array()[0].as_string() != "combined") return reply_error(id, 0, "Unknown property");
      if (m == "GET_PROPERTY") return reply(id, json::value(combined_));
      if (params->as_array().size() != 2 || !params->as_array()[1].is_bool()) {
        return reply_error(id, 1, "Invalid value type: expected Boolean");
      }
      set_combined(params->as_array()[1].as_bool());
      return reply(id, json::value(nullptr));
    }
    return reply_error(id, 2,
                       "Invalid request: unknown variant `" + std::string(m) +
                           "`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, "
                           "`GET_PROPERTY`");
  }

  void on_close() override {
    s_.hub.drop(conn_.get());
    conn_.reset();
  }

  // A stream name this connection may subscribe to: a market stream, or a valid listen key.
  static bool valid_name(const Services& s, const std::string& name) {
    if (is_market_stream(name)) return streams::parse_stream(name, s.exchange).has_value();
    return s.listen_keys.owner(name).has_value();
  }

 private:
  bool valid(const std::string& name) const { return valid_name(s_, name); }

  streams::Wrap wrap(const std::string& name) const {
    streams::Wrap w;
    w.kind = combined_ ? streams::Wrap::Kind::kCombined : streams::Wrap::Kind::kRaw;
    w.stream = name;
    return w;
  }

  void subscribe(const std::string& name) {
    if (subscribed_.contains(name)) return;
    if (is_market_stream(name)) {
      if (!s_.hub.subscribe(name, conn_, wrap(name))) return;
    } else {
      auto owner = s_.listen_keys.owner(name);
      if (!owner || !s_.listen_keys.attach(name, conn_)) return;
      s_.hub.subscribe_user(*owner, conn_, wrap(name));
      users_[name] = *owner;
    }
    subscribed_.insert(name);
  }

  void unsubscribe(const std::string& name) {
    if (!subscribed_.erase(name)) return;
    if (auto it = users_.find(name); it != users_.end()) {
      s_.hub.unsubscribe_user(it->second, conn_.get());
      users_.erase(it);
      return;
    }
    s_.hub.unsubscribe(name, conn_.get());
  }

  void set_combined(bool combined) {
    if (combined == combined_) return;
    const std::set<std::string> names = subscribed_;
    for (const auto& n : names) unsubscribe(n);
    combined_ = combined;
    for (const auto& n : names) subscribe(n);
  }

  bool within_rate() {
    const auto second = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    if (second != second_) {
      second_ = second;
      messages_ = 0;
    }
    return ++messages_ <= kMaxMessagesPerSecond;
  }

  void reply(const json::value& id, const json::value& result) {
    send(json::object{{"result", result}, {"id", id}});
  }
  void reply_error(const json::value& id, int code, const std::string& msg) {
    send(json::object{{"code", code}, {"msg", msg}, {"id", id}});
  }
  void send(const json::object& o) {
    if (conn_) conn_->push(std::make_shared<const std::string>(json::serialize(o)));
  }

  const Services& s_;
  bool combined_;
  std::vector<std::string> initial_;
  std::shared_ptr<streams::Sink> conn_;
  std::set<std::string> subscribed_;
  std::map<std::string, int64_t> users_;  // listen key -> its owner
  int64_t second_ = 0;
  int messages_ = 0;
};

}  // namespace

bool HandshakeLimiter::admit(const std::string& ip, int64_t now_ms) {
  const int64_t window = now_ms / window_ms_;
  std::lock_guard lock(mu_);
  if (counts_.size() > 100'000) {  // forget old windows now and then
    std::erase_if(counts_, [window](const auto& kv) { return kv.second.window != window; });
  }
  Count& c = counts_[ip];
  if (c.window != window) c = Count{window, 0};
  return ++c.n <= limit_;
}

Result<std::shared_ptr<WsSession>> Api::open_ws(const Request& r) {
  const bool api_path = r.path == "/ws-api/v3";
  const bool streams_path = r.path == "/ws" || r.path.starts_with("/ws/") || r.path == "/stream";
  if (!streams_path && !api_path) return make_error(err::kNotFound);
  if (!ws_handshakes_.admit(client_ip(r, services_.trusted_proxies), services_.clock.now_ms())) {
    return make_error(err::kTooManyWsConnections, ws_handshakes_.limit(), "5 MINUTE");
  }
  if (api_path) return open_ws_api(r);
  std::vector<std::string> names;
  bool combined = false;
  if (r.path == "/stream") {
    combined = true;
    auto params = parse_params(r.query, {});
    if (!params) return params.error();
    if (auto s = params->get("streams")) names = split(*s, '/');
  } else if (r.path.size() > 4) {
    names = split(std::string_view(r.path).substr(4), '/');
  }
  if (names.size() > kMaxStreams) return make_error(err::kBadParam, "streams");
  for (const auto& n : names) {
    if (StreamSession::valid_name(services_, n)) continue;
    return is_market_stream(n) ? make_error(err::kBadParam, "streams") : make_error(err::kNoListenKey);
  }
  return std::shared_ptr<WsSession>(std::make_shared<StreamSession>(services_, combined, std::move(names)));
}

}  // namespace kg::api
