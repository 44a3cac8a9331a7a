// One admin connection: a JSON request line in, a JSON reply line out.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <memory>

#include "net/session.hpp"

namespace kg::net {

namespace {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Socket = asio::local::stream_protocol::socket;

constexpr size_t kMaxAdminRequest = 1024 * 1024;

awaitable<void> serve_admin(std::shared_ptr<Socket> socket, api::AdminCommands& admin,
                            asio::thread_pool& workers) {
  asio::streambuf buf(kMaxAdminRequest);
  boost::system::error_code ec;
  size_t n = co_await asio::async_read_until(*socket, buf, '\n', asio::redirect_error(use_awaitable, ec));
  if (ec) co_return;
  std::string line(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + static_cast<long>(n));
  std::string reply = co_await asio::co_spawn(
      workers, [&]() -> awaitable<std::string> { co_return admin.run(line); }, use_awaitable);
  reply += '\n';
  co_await asio::async_write(*socket, asio::buffer(reply), asio::redirect_error(use_awaitable, ec));
}
}  // namespace

void spawn_admin_session(Socket socket, api::AdminCommands& admin, asio::thread_pool& workers) {
  auto s = std::make_shared<Socket>(std::move(socket));
  asio::co_spawn(s->get_executor(), serve_admin(s, admin, workers), asio::detached);
}

}  // namespace kg::net
