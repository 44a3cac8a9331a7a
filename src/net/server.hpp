#pragma once
// The network runtime: listeners, I/O threads, worker pool, signals. No Asio in this header,
// so the composition root does not compile it.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/admin_commands.hpp"
#include "api/api.hpp"

namespace kg::net {

struct HttpLimits {
  size_t max_header_bytes = 8 * 1024;   // request line + headers
  size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds body_timeout{30'000};
  int max_requests_per_connection = 100'000;
  int max_pipelined = 16;  // requests already buffered behind the one being answered
  size_t max_connections_per_ip = 1000;  // open at once from one address (0: no cap); over it one 429, then closed
  // WebSocket connections (streams, the WebSocket API).
  std::chrono::milliseconds ws_idle_timeout{60'000};  // a ping at half of it; closed without an answer
  std::chrono::seconds ws_max_lifetime{24 * 3600};     // Binance's 24 hours
  size_t ws_max_queue_bytes = 4 * 1024 * 1024;         // frames waiting for a slow client; more closes it
  int ws_send_buffer_bytes = 256 * 1024;               // the kernel's share (SO_SNDBUF), fixed so it cannot grow to MiBs
  size_t ws_max_message_bytes = 64 * 1024;             // what a client may send in one message
};

struct NetConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string admin_socket_path;
  HttpLimits limits;
  int io_threads = 2;
  int worker_threads = 4;
  std::chrono::milliseconds drain_timeout{4'500};
};

class Server {
 public:
  Server(api::Api& api, api::AdminCommands& admin, std::atomic<bool>& ready, NetConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the HTTP listener and the admin socket; returns "http://HOST:PORT" with the real port.
  std::string bind();
  // Serves until SIGTERM or SIGINT (or request_stop), then drains and returns.
  void run();
  void request_stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kg::net
