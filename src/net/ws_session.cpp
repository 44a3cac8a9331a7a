// One WebSocket connection: Beast does the handshake, framing, pings and close; this file keeps
// the outgoing queue bounded (a client that falls behind by more than ws_max_queue_bytes is cut
// off at once) and hands every incoming text frame to the API's session on the worker pool.

#include "net/ws_session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <mutex>

namespace kg::net {

namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::awaitable;
using asio::use_awaitable;

class WsConn : public streams::Sink, public std::enable_shared_from_this<WsConn> {
 public:
  WsConn(beast::tcp_stream stream, size_t max_queue_bytes) : ws(std::move(stream)), max_queue_bytes_(max_queue_bytes) {}

  bool push(std::shared_ptr<const std::string> frame) override {
    {
      std::lock_guard lock(mu_);
      if (closing_ || closed_) return false;
      if (queued_bytes_ + frame->size() > max_queue_bytes_) {
        // A slow consumer: cut it off now, whatever is queued.
        closing_ = true;
        queue_.clear();
        queued_bytes_ = 0;
        asio::post(ws.get_executor(), [self = shared_from_this()] { beast::get_lowest_layer(self->ws).close(); });
        spdlog::info("event=ws_slow_consumer action=disconnect queue_limit_bytes={}", max_queue_bytes_);
        return false;
      }
      queued_bytes_ += frame->size();
      queue_.push_back(std::move(frame));
      if (writing_) return true;
      writing_ = true;
    }
    start_writer();
    return true;
  }

  void close() override {
    {
      std::lock_guard lock(mu_);
      if (closing_ || closed_) return;
      closing_ = true;
      if (writing_) return;  // the writer closes once the queue is sent
      writing_ = true;
    }
    start_writer();
  }

  // The connection is gone: nothing more is queued.
  void gone() {
    std::lock_guard lock(mu_);
    closed_ = true;
    queue_.clear();
    queued_bytes_ = 0;
  }

  websocket::stream<beast::tcp_stream> ws;

 private:
  // With writing_ just set, and mu_ not held: co_spawn may run the writer at once when called on
  // the connection's I/O thread, and the writer takes mu_.
  void start_writer() { asio::co_spawn(ws.get_executor(), write_loop(shared_from_this()), asio::detached); }

  // Sends what is queued, one frame at a time (Beast allows one write at a time); then, if a close
  // was asked for, the close frame.
  static awaitable<void> write_loop(std::shared_ptr<WsConn> self) {
    for (;;) {
      std::shared_ptr<const std::string> frame;
      bool close_now = false;
      {
        std::lock_guard lock(self->mu_);
        if (self->closed_) {
          self->writing_ = false;
          co_return;
        }
        if (!self->queue_.empty()) {
          frame = std::move(self->queue_.front());
          self->queue_.pop_front();
          self->queued_bytes_ -= frame->size();
        } else if (self->closing_) {
          close_now = true;
        } else {
          self->writing_ = false;
          co_return;
        }
      }
      boost::system::error_code ec;
      if (close_now) {
        co_await self->ws.async_close(websocket::close_code::normal, asio::redirect_error(use_awaitable, ec));
        std::lock_guard lock(self->mu_);
        self->writing_ = false;
        co_return;
      }
      self->ws.text(true);
      co_await self->ws.async_write(asio::buffer(*frame), asio::redirect_error(use_awaitable, ec));
      if (ec) {
        self->gone();
        std::lock_guard lock(self->mu_);
        self->writing_ = false;
        co_return;
      }
    }
  }

  const size_t max_queue_bytes_;
  std::mutex mu_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

}  // namespace

awaitable<void> serve_websocket(beast::tcp_stream stream, beast::http::request<beast::http::string_body> upgrade,
                                std::shared_ptr<api::WsSession> session, SessionEnv& env) {
  const HttpLimits& lim = env.limits;
  stream.expires_never();  // the WebSocket's own timeouts take over
  // What a slow reader can hold in this process and in the kernel is bounded: the queue below, and
  // a fixed send buffer (left alone, Linux lets it grow to several MiB for a peer that reads nothing).
  boost::system::error_code ignored;
  stream.socket().set_option(asio::socket_base::send_buffer_size(lim.ws_send_buffer_bytes), ignored);
  auto conn = std::make_shared<WsConn>(std::move(stream), lim.ws_max_queue_bytes);
  auto& ws = conn->ws;
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = lim.header_timeout;
  timeouts.idle_timeout = lim.ws_idle_timeout;
  timeouts.keep_alive_pings = true;
  ws.set_option(timeouts);
  ws.read_message_max(lim.ws_max_message_bytes);
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "keygate"); }));
  boost::system::error_code ec;
  co_await ws.async_accept(upgrade, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return;

  // (Still counted as the connection it upgraded from in the metrics.)
  const Connections::Id id = env.connections.add([weak = std::weak_ptr<WsConn>(conn)] {
    if (auto c = weak.lock()) c->close();
  });
  auto lifetime = std::make_shared<asio::steady_timer>(ws.get_executor(), lim.ws_max_lifetime);
  lifetime->async_wait([weak = std::weak_ptr<WsConn>(conn)](const boost::system::error_code& e) {
    if (e) return;
    if (auto c = weak.lock()) c->close();
  });
  session->on_open(conn);
  if (env.draining.load()) conn->close();

  beast::flat_buffer buffer;
  for (;;) {
    co_await ws.async_read(buffer, asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    if (ws.got_text()) {
      std::string text = beast::buffers_to_string(buffer.data());
      co_await asio::co_spawn(
          env.workers,
          [&]() -> awaitable<void> {
            try {
              session->on_text(text);
            } catch (const std::exception& e) {
              spdlog::error("event=ws_handler_error error=\"{}\"", e.what());
              conn->close();
            }
            co_return;
          },
          use_awaitable);
    }
    buffer.consume(buffer.size());
  }
  conn->gone();
  lifetime->cancel();
  session->on_close();
  env.connections.remove(id);
}

}  // namespace kg::net
