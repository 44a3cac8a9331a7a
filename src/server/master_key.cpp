#include "server/master_key.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

namespace kg::server {

namespace {

std::optional<MasterKey> decode(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  auto bytes = crypto::from_hex(text);
  if (!bytes || bytes->size() != crypto::kMasterKeySize) bytes = crypto::from_base64(text);
  if (!bytes || bytes->size() != crypto::kMasterKeySize) return std::nullopt;
  MasterKey key;
  std::memcpy(key.data(), bytes->data(), key.size());
  return key;
}

MasterKey read_file(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 0077) != 0) {
    spdlog::warn("event=master_key_permissions path={} mode={:o} hint=\"chmod 600\"", path, st.st_mode & 0777);
  }
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto key = decode(ss.str());
  if (!key) throw std::runtime_error("master key file " + path + " does not hold 32 bytes in hex or base64");
  return *key;
}

}  // namespace

MasterKey load_master_key(const std::string& data_dir) {
  if (const char* env = std::getenv("KEYGATE_MASTER_KEY"); env && *env) {
    auto key = decode(env);
    if (!key) throw std::runtime_error("KEYGATE_MASTER_KEY must be 32 bytes in hex (64 characters) or base64");
    return *key;
  }
  if (const char* file = std::getenv("KEYGATE_MASTER_KEY_FILE"); file && *file) return read_file(file);

  const std::string path = data_dir + "/master.key";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return read_file(path);
    throw std::runtime_error("cannot create master key file " + path + ": " + std::strerror(errno));
  }
  const std::string raw = crypto::random_bytes(crypto::kMasterKeySize);
  const std::string text = crypto::to_hex(raw) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write master key file " + path);
  spdlog::info("event=master_key_created path={}", path);
  MasterKey key;
  std::memcpy(key.data(), raw.data(), key.size());
  return key;
}

}  // namespace kg::server
