#pragma once
// Open connections, so that a drain can close the idle ones.

#include <cstdint>
#include <functional>
#include <mutex>
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

}  // namespace kg::net
