// One HTTP/1.1 connection: read a request within the limits, answer it, repeat while kept alive.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "api/json_body.hpp"
#include "net/http_request.hpp"
#include "net/http_response.hpp"
#include "net/session.hpp"
#include "net/ws_session.hpp"

namespace kg::net {

namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;

struct Conn {
  explicit Conn(asio::ip::tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  bool idle = false;  // waiting for the first byte of a request; only touched on its I/O thread
};

// When the header limit is hit: 414 if the request line alone does not fit, 431 otherwise.
// Beast consumes the request line once it has parsed it, so a known method means it fitted.
api::Response header_limit_response(const http::request_parser<http::string_body>& parser,
                                    const beast::flat_buffer& buffer, size_t limit) {
  std::string_view data(static_cast<const char*>(buffer.data().data()), buffer.size());
  const size_t eol = data.find("\r\n");
  const auto& req = parser.get();
  const bool parsed = !req.method_string().empty();
  const size_t line_length = req.method_string().size() + req.target().size() + 11;  // "GET /x HTTP/1.1\r\n"
  const bool line_fits = parsed ? line_length <= limit : (eol != std::string_view::npos && eol < limit);
  return api::error_response(line_fits ? make_error(err::kHeadersTooLarge, limit) : make_error(err::kUriTooLong, limit));
}

awaitable<void> write_error_and_close(Conn& c, const api::Response& r) {
  const std::string bytes = http_response_bytes(r, 11, false);
  c.stream.expires_after(std::chrono::seconds(5));
  boost::system::error_code ec;
  co_await asio::async_write(c.stream, asio::buffer(bytes), asio::redirect_error(use_awaitable, ec));
  c.stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

// A route that answers later (order placement, internal transfers): the coroutine waits without
// holding a thread, and the answer is made back on this connection's I/O thread, whichever thread
// it was ready on. A blocking one (a store read before it hands off) starts on the worker pool.
template <typename Token>
auto answer_later(api::Api& api, asio::thread_pool& workers, const api::Request& request, api::Router::Match match,
                  Token&& token) {
  return asio::async_initiate<Token, void(api::Response)>(
      [&api, &workers, &request](auto handler, api::Router::Match m) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto start = [&api, &request, shared, m = std::move(m)]() mutable {
          api.handle_async(request, std::move(m), [shared](std::function<api::Response()> make) {
            auto ex = asio::get_associated_executor(*shared);
            asio::post(ex, [shared, make = std::move(make)] { std::move(*shared)(make()); });
          });
        };
        if (api::Api::blocking(m)) {
          asio::post(workers, std::move(start));
        } else {
          start();
        }
      },
      token, std::move(match));
}

// The peer's address as allowlists see it: an IPv4 client on a dual-stack listener shows as
// ::ffff:a.b.c.d, which is a.b.c.d.
std::string peer_ip(const asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return {};
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  return addr.to_string();
}

// Over the per-IP connection cap: one answer, then the connection is closed.
awaitable<void> refuse(std::shared_ptr<Conn> conn, size_t cap) {
  co_await write_error_and_close(*conn, api::error_response(make_error(err::kTooManyConnections, cap)));
}

awaitable<void> serve(std::shared_ptr<Conn> conn, std::string remote_ip, SessionEnv& env) {
  Conn& c = *conn;
  const HttpLimits& lim = env.limits;
  beast::flat_buffer buffer(lim.max_header_bytes + lim.max_body_bytes + 16 * 1024);
  int pipelined = 0;
  for (int served = 0;; ++served) {
    boost::system::error_code ec;
    if (buffer.size() == 0) {
      // Idle between requests: a drain closes the connection here.
      if (env.draining.load()) break;
      c.idle = true;
      // A new connection must start its request within the header timeout.
      c.stream.expires_after(served == 0 ? lim.header_timeout : lim.idle_timeout);
      size_t n = co_await c.stream.async_read_some(buffer.prepare(4096), asio::redirect_error(use_awaitable, ec));
      c.idle = false;
      if (ec) break;
      buffer.commit(n);
    }

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(lim.max_header_bytes));
    parser.body_limit(lim.max_body_bytes);
    c.stream.expires_after(lim.header_timeout);
    co_await http::async_read_header(c.stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    // Beast's header_limit is not exact when the header arrives in one piece; count it ourselves.
    if (!ec && header_size(parser.get()) > lim.max_header_bytes) ec = http::error::header_limit;
    if (ec == http::error::header_limit) {
      co_await write_error_and_close(c, header_limit_response(parser, buffer, lim.max_header_bytes));
      break;
    }
    if (!ec && !parser.is_done()) {
      c.stream.expires_after(lim.body_timeout);
      co_await http::async_read(c.stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    }
    if (ec == http::error::body_limit) {
      co_await write_error_and_close(c, api::error_response(make_error(err::kBodyTooLarge, lim.max_body_bytes)));
      break;
    }
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      break;
    }
    if (ec) {
      co_await write_error_and_close(c, api::error_response(make_error(err::kMalformedRequest)));
      break;
    }

    const auto& req = parser.get();
    api::Request request = to_api_request(req, remote_ip);
    if (beast::websocket::is_upgrade(req)) {
      auto session = env.api.open_ws(request);
      if (!session) {
        co_await write_error_and_close(c, api::error_response(session.error()));
        break;
      }
      co_await serve_websocket(std::move(c.stream), parser.release(), std::move(*session), env);
      co_return;  // the connection went with the WebSocket
    }
    api::Response response;
    auto match = env.api.route(request);
    if (api::Api::answers_later(match)) {
      response = co_await answer_later(env.api, env.workers, request, std::move(match), use_awaitable);
    } else if (api::Api::blocking(match)) {
      response = co_await asio::co_spawn(
          env.workers, [&]() -> awaitable<api::Response> { co_return env.api.handle(request, std::move(match)); },
          use_awaitable);
    } else {
      response = env.api.handle(request, std::move(match));
    }

    pipelined = buffer.size() > 0 ? pipelined + 1 : 0;
    const bool keep_alive = req.keep_alive() && !env.draining.load() &&
                            served + 1 < lim.max_requests_per_connection && pipelined <= lim.max_pipelined;
    const std::string bytes = http_response_bytes(response, req.version(), keep_alive);
    c.stream.expires_after(lim.body_timeout);
    co_await asio::async_write(c.stream, asio::buffer(bytes), asio::redirect_error(use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  c.stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace

void spawn_http_session(asio::ip::tcp::socket socket, SessionEnv& env) {
  boost::system::error_code ec;
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  std::string ip = peer_ip(socket);
  auto conn = std::make_shared<Conn>(std::move(socket));
  if (!env.per_ip.try_add(ip, env.limits.max_connections_per_ip)) {
    spdlog::warn("event=connection_refused ip={} reason=\"per-IP cap of {}\"", ip, env.limits.max_connections_per_ip);
    asio::co_spawn(conn->stream.get_executor(), refuse(conn, env.limits.max_connections_per_ip), asio::detached);
    return;
  }
  env.api.metrics().connection_opened();
  auto executor = conn->stream.get_executor();
  Connections::Id id = env.connections.add([weak = std::weak_ptr<Conn>(conn), executor] {
    asio::post(executor, [weak] {
      if (auto c = weak.lock(); c && c->idle) c->stream.cancel();
    });
  });
  asio::co_spawn(executor, serve(conn, ip, env), [conn, id, ip, &env](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("event=session_error error=\"{}\"", ex.what());
      }
    }
    env.connections.remove(id);
    env.per_ip.remove(ip);
    env.api.metrics().connection_closed();
  });
}

}  // namespace kg::net
