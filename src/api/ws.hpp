#pragma once
// WebSocket connections as the API sees them, without the WebSocket library: the network layer
// accepts the upgrade only when Api::open_ws gives it a session, makes the connection a
// streams::Sink (frames out through a bounded queue; close), and feeds the session every text
// frame the client sends, one at a time and in order, on the worker pool.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "streams/hub.hpp"

namespace kg::api {

class WsSession {
 public:
  virtual ~WsSession() = default;
  // After the handshake, before any frame.
  virtual void on_open(const std::shared_ptr<streams::Sink>& connection) = 0;
  virtual void on_text(std::string_view text) = 0;
  // Once, when the connection is gone (either side closed it).
  virtual void on_close() = 0;
};

// Binance's 300 WebSocket connection attempts per 5 minutes per IP, in fixed windows.
class HandshakeLimiter {
 public:
  HandshakeLimiter(int64_t limit, int64_t window_ms) : limit_(limit), window_ms_(window_ms) {}
  // Counts an attempt; false when the IP is over the limit in this window.
  bool admit(const std::string& ip, int64_t now_ms);
  int64_t limit() const { return limit_; }

 private:
  struct Count {
    int64_t window = 0;
    int64_t n = 0;
  };
  const int64_t limit_;
  const int64_t window_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, Count> counts_;
};

}  // namespace kg::api
