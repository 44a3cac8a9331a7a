#include "cli/admin_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cerrno>
#include <cstring>

namespace kg::cli {

AdminReply admin_call(const std::string& data_dir, const std::string& request_json) {
  const std::string path = data_dir + "/admin.sock";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return {false, "admin socket path too long: " + path};
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {false, std::string("socket: ") + std::strerror(errno)};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd);
    return {false, "keygate is not running with data dir " + data_dir + " (cannot connect to " + path +
                       ": " + std::strerror(e) + ")"};
  }
  std::string line = request_json + "\n";
  for (size_t off = 0; off < line.size();) {
    ssize_t n = ::write(fd, line.data() + off, line.size() - off);
    if (n <= 0) {
      ::close(fd);
      return {false, "lost the connection to the server while sending"};
    }
    off += static_cast<size_t>(n);
  }
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) {
    reply.append(buf, static_cast<size_t>(n));
    if (reply.find('\n') != std::string::npos) break;
  }
  ::close(fd);
  boost::system::error_code ec;
  auto v = boost::json::parse(reply, ec);
  if (ec || !v.is_object()) return {false, "the server sent no valid reply"};
  const auto& o = v.as_object();
  const auto* ok = o.if_contains("ok");
  const auto* text = o.if_contains("text");
  return {ok && ok->is_bool() && ok->as_bool(), text && text->is_string() ? std::string(text->as_string()) : ""};
}

}  // namespace kg::cli
