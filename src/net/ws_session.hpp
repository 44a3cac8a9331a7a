#pragma once
// Internal to net: a connection that upgraded to WebSocket. Only http_session.cpp and
// ws_session.cpp include this (Beast's WebSocket headers are slow to compile).

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>

#include "api/ws.hpp"
#include "net/session.hpp"

namespace kg::net {

// Completes the handshake for `upgrade` and serves the connection until it closes: frames in to
// `session` (one at a time, on the worker pool), frames out through a bounded queue, pings when
// idle, closed at the lifetime limit or when the server drains.
boost::asio::awaitable<void> serve_websocket(boost::beast::tcp_stream stream,
                                             boost::beast::http::request<boost::beast::http::string_body> upgrade,
                                             std::shared_ptr<api::WsSession> session, SessionEnv& env);

}  // namespace kg::net
