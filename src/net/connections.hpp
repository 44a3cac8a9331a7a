#pragma once
// Open connections, so that a drain can close the idle ones.

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace kg::net {

class Connections {
 public:
  using Id = uint64_t;
  Id add(std::function<void()> close_if_idle);
  void remove(Id id);
  void close_idle();
  size_t size() const;

 private:
  mutable std::mutex mu_;
  Id next_ = 1;
  std::unordered_map<Id, std::function<void()>> open_;
};

// Open connections per client address, for the per-IP cap (http.max_connections_per_ip).
class PerIpCount {
 public:
  // Counts a new connection of `ip`; false (nothing counted) when it already has `cap` (0: no cap).
  bool try_add(const std::string& ip, size_t cap);
  void remove(const std::string& ip);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, size_t> open_;
};

}  // namespace kg::net
