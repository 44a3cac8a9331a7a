#include "net/connections.hpp"

#include <vector>

namespace kg::net {

Connections::Id Connections::add(std::function<void()> close_if_idle) {
  std::lock_guard lock(mu_);
  Id id = next_++;
  open_.emplace(id, std::move(close_if_idle));
  return id;
}

void Connections::remove(Id id) {
  std::lock_guard lock(mu_);
  open_.erase(id);
}

void Connections::close_idle() {
  std::vector<std::function<void()>> todo;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, fn] : open_) todo.push_back(fn);
  }
  for (auto& fn : todo) fn();
}

bool PerIpCount::try_add(const std::string& ip, size_t cap) {
  std::lock_guard lock(mu_);
  size_t& n = open_[ip];
  if (cap > 0 && n >= cap) return false;
  ++n;
  return true;
}

void PerIpCount::remove(const std::string& ip) {
  std::lock_guard lock(mu_);
  auto it = open_.find(ip);
  if (it == open_.end()) return;
  if (--it->second == 0) open_.erase(it);
}

size_t Connections::size() const {
  std::lock_guard lock(mu_);
  return open_.size();
}

}  // namespace kg::net
