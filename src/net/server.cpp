// The network runtime: accept loops, I/O threads, the worker pool, signals and the drain.
// Each I/O thread runs its own io_context (concurrency hint 1); a connection is accepted onto one
// of them in turn and stays there, so its handlers never run concurrently and need no strand.
// The first context also runs the listeners, the signals and the drain.

#include "net/server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>
#include <thread>
#include <vector>

#include "net/connections.hpp"
#include "net/session.hpp"

namespace kg::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;

struct Server::Impl {
  Impl(api::Api& a, api::AdminCommands& ad, std::atomic<bool>& r, NetConfig c)
      : api(a), admin(ad), ready(r), config(std::move(c)), contexts(make_contexts(config.io_threads)), ioc(*contexts[0]),
        workers(static_cast<size_t>(config.worker_threads)), acceptor(ioc), admin_acceptor(ioc),
        signals(ioc, SIGTERM, SIGINT), env{api, config.limits, workers, draining, connections, per_ip} {}

  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  static std::vector<std::unique_ptr<asio::io_context>> make_contexts(int n) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (int i = 0; i < std::max(n, 1); ++i) out.push_back(std::make_unique<asio::io_context>(1));
    return out;
  }

  api::Api& api;
  api::AdminCommands& admin;
  std::atomic<bool>& ready;
  NetConfig config;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  asio::io_context& ioc;  // contexts[0]
  std::vector<WorkGuard> keep_running;  // the other contexts have no listener to keep them busy
  size_t next_context = 0;
  asio::thread_pool workers;
  tcp::acceptor acceptor;
  local::acceptor admin_acceptor;
  asio::signal_set signals;
  std::atomic<bool> draining{false};
  Connections connections;
  PerIpCount per_ip;
  SessionEnv env;

  awaitable<void> accept_http() {
    while (!draining.load()) {
      boost::system::error_code ec;
      asio::io_context& home = *contexts[next_context++ % contexts.size()];
      tcp::socket socket = co_await acceptor.async_accept(home, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (draining.load() || ec == asio::error::operation_aborted) break;
        spdlog::warn("event=accept_failed error=\"{}\"", ec.message());
        continue;
      }
      spawn_http_session(std::move(socket), env);
    }
  }

  awaitable<void> accept_admin() {
    while (!draining.load()) {
      boost::system::error_code ec;
      local::socket socket = co_await admin_acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      spawn_admin_session(std::move(socket), admin, workers);
    }
  }

  // Stop accepting, close idle connections, let busy ones answer (with Connection: close),
  // and stop the I/O threads when all are gone or the deadline passes.
  awaitable<void> drain() {
    spdlog::info("event=drain_started connections={}", connections.size());
    ready.store(false);
    draining.store(true);
    boost::system::error_code ec;
    acceptor.close(ec);
    admin_acceptor.close(ec);
    connections.close_idle();
    const auto deadline = std::chrono::steady_clock::now() + config.drain_timeout;
    asio::steady_timer timer(ioc);
    while (connections.size() > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    if (connections.size() > 0) spdlog::warn("event=drain_deadline open={}", connections.size());
    keep_running.clear();
    for (auto& context : contexts) context->stop();
  }

  void bind_admin_socket() {
    const std::string& path = config.admin_socket_path;
    boost::system::error_code ec;
    {
      local::socket probe(ioc);
      probe.connect(local::endpoint(path), ec);
      if (!ec) throw std::runtime_error("another keygate server is already running with this data dir (" + path + ")");
    }
    ::unlink(path.c_str());
    const mode_t old_mask = ::umask(0077);  // the socket file is created 0600
    admin_acceptor.open(local());
    admin_acceptor.bind(local::endpoint(path), ec);
    ::umask(old_mask);
    if (ec) throw std::runtime_error("cannot bind admin socket " + path + ": " + ec.message());
    ::chmod(path.c_str(), 0600);
    admin_acceptor.listen();
  }
};

Server::Server(api::Api& api, api::AdminCommands& admin, std::atomic<bool>& ready, NetConfig config)
    : impl_(std::make_unique<Impl>(api, admin, ready, std::move(config))) {}

Server::~Server() {
  if (!impl_->config.admin_socket_path.empty()) ::unlink(impl_->config.admin_socket_path.c_str());
}

std::string Server::bind() {
  Impl& m = *impl_;
  tcp::resolver resolver(m.ioc);
  auto results = resolver.resolve(m.config.host, std::to_string(m.config.port));
  if (results.empty()) throw std::runtime_error("cannot resolve " + m.config.host);
  tcp::endpoint ep = results.begin()->endpoint();
  m.acceptor.open(ep.protocol());
  m.acceptor.set_option(tcp::acceptor::reuse_address(true));
  boost::system::error_code ec;
  m.acceptor.bind(ep, ec);
  if (ec) throw std::runtime_error("cannot listen on " + m.config.host + ":" + std::to_string(m.config.port) + ": " + ec.message());
  m.acceptor.listen(asio::socket_base::max_listen_connections);
  if (!m.config.admin_socket_path.empty()) m.bind_admin_socket();
  tcp::endpoint bound = m.acceptor.local_endpoint();
  std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
  return "http://" + host + ":" + std::to_string(bound.port());
}

void Server::run() {
  Impl& m = *impl_;
  asio::co_spawn(m.ioc, m.accept_http(), asio::detached);
  if (m.admin_acceptor.is_open()) asio::co_spawn(m.ioc, m.accept_admin(), asio::detached);
  m.signals.async_wait([&m](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("event=signal signal={}", sig);
    asio::co_spawn(m.ioc, m.drain(), asio::detached);
  });
  m.ready.store(true);
  for (size_t i = 1; i < m.contexts.size(); ++i) m.keep_running.push_back(asio::make_work_guard(*m.contexts[i]));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < m.contexts.size(); ++i) threads.emplace_back([&m, i] { m.contexts[i]->run(); });
  m.ioc.run();
  for (auto& t : threads) t.join();
  m.workers.stop();
  m.workers.join();
  spdlog::info("event=stopped");
}

void Server::request_stop() {
  Impl& m = *impl_;
  asio::post(m.ioc, [&m] {
    m.signals.cancel();
    asio::co_spawn(m.ioc, m.drain(), asio::detached);
  });
}

}  // namespace kg::net
