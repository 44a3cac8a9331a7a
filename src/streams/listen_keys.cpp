#include "streams/listen_keys.hpp"

#include "crypto/random.hpp"
#include "streams/format.hpp"

namespace kg::streams {

ListenKeys::ListenKeys(const Clock& clock, int64_t validity_ms) : clock_(clock), validity_ms_(validity_ms) {}

std::string ListenKeys::open(int64_t user_id, const std::string& api_key) {
  const int64_t now = clock_.now_ms();
  std::lock_guard lock(mu_);
  for (auto& [key, e] : keys_) {
    if (e.user_id == user_id && e.expires_ms > now) {
      e.expires_ms = now + validity_ms_;
      e.api_keys.insert(api_key);
      return key;
    }
  }
  std::string key = crypto::random_hex(30);  // 60 characters, like Binance's
  keys_.emplace(key, Entry{user_id, {api_key}, now + validity_ms_, {}});
  return key;
}

bool ListenKeys::keep_alive(int64_t user_id, const std::string& api_key, const std::string& listen_key) {
  const int64_t now = clock_.now_ms();
  std::lock_guard lock(mu_);
  auto it = keys_.find(listen_key);
  if (it == keys_.end() || it->second.user_id != user_id || it->second.expires_ms <= now) return false;
  it->second.expires_ms = now + validity_ms_;
  it->second.api_keys.insert(api_key);
  return true;
}

bool ListenKeys::close(int64_t user_id, const std::string& listen_key) {
  std::lock_guard lock(mu_);
  auto it = keys_.find(listen_key);
  if (it == keys_.end() || it->second.user_id != user_id) return false;
  close_all(it->second, nullptr);
  keys_.erase(it);
  return true;
}

std::optional<int64_t> ListenKeys::owner(const std::string& listen_key) const {
  const int64_t now = clock_.now_ms();
  std::lock_guard lock(mu_);
  auto it = keys_.find(listen_key);
  if (it == keys_.end() || it->second.expires_ms <= now) return std::nullopt;
  return it->second.user_id;
}

bool ListenKeys::attach(const std::string& listen_key, const std::shared_ptr<Sink>& sink) {
  const int64_t now = clock_.now_ms();
  std::lock_guard lock(mu_);
  auto it = keys_.find(listen_key);
  if (it == keys_.end() || it->second.expires_ms <= now) return false;
  std::erase_if(it->second.sinks, [](const std::weak_ptr<Sink>& s) { return s.expired(); });
  it->second.sinks.push_back(sink);
  return true;
}

void ListenKeys::close_all(Entry& e, const std::string* expired_frame) {
  for (auto& weak : e.sinks) {
    auto sink = weak.lock();
    if (!sink) continue;
    if (expired_frame) sink->push(std::make_shared<const std::string>(*expired_frame));
    sink->close();
  }
  e.sinks.clear();
}

void ListenKeys::sweep(int64_t now_ms, const std::function<bool(const std::string& api_key)>& key_valid) {
  std::lock_guard lock(mu_);
  for (auto it = keys_.begin(); it != keys_.end();) {
    Entry& e = it->second;
    if (e.expires_ms <= now_ms) {
      const std::string frame = listen_key_expired(it->first, now_ms);
      close_all(e, &frame);
      it = keys_.erase(it);
      continue;
    }
    std::erase_if(e.api_keys, [&](const std::string& k) { return !key_valid(k); });
    if (e.api_keys.empty()) {
      close_all(e, nullptr);
      it = keys_.erase(it);
    } else {
      ++it;
    }
  }
}

size_t ListenKeys::size() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}

}  // namespace kg::streams
