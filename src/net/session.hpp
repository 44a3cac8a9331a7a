#pragma once
// Internal to net: what an HTTP session needs from the runtime.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>

#include "api/api.hpp"
#include "net/connections.hpp"
#include "net/server.hpp"

namespace kg::net {

struct SessionEnv {
  api::Api& api;
  const HttpLimits& limits;
  boost::asio::thread_pool& workers;
  std::atomic<bool>& draining;
  Connections& connections;
  PerIpCount& per_ip;
};

void spawn_http_session(boost::asio::ip::tcp::socket socket, SessionEnv& env);

void spawn_admin_session(boost::asio::local::stream_protocol::socket socket,
                         api::AdminCommands& admin, boost::asio::thread_pool& workers);

}  // namespace kg::net
