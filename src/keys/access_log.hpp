#pragma once
// The per-key access log: every signed request made with a key, accepted or refused, with the
// exact reason a refusal had (the wire answer stays Binance's vague -2015; the owner sees why).
// Requests only append to memory; a background thread writes batches to the store once a
// second, keeps the newest `retention` entries per key and records each key's last use.
// What that costs the store is kept small, since it shares the machine with the requests (with a
// thousand busy keys it was 5% of a core, 14% when they were among a million): a key's log is cut
// back to `retention` once it has a tenth of that in new rows, not at every flush, and its last use
// is written at most every 10 seconds while it stays in use (the console shows the exact one from
// memory; a crash loses at most those 10 seconds of it). flush() and the destructor write it all.
// The background flush runs just after each whole second, so a busy key's second is one row.
// Accepted requests of one key from one IP to one path within the same second are one entry
// with a count, so a busy bot does not turn every request into a row; refusals are one each.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "keys/api_key.hpp"
#include "store/store.hpp"

namespace kg::keys {

struct AccessEntry {
  int64_t key_id = 0;
  int64_t at = 0;
  std::string ip;
  std::string method;
  std::string path;
  bool ok = false;
  int status = 200;
  std::string reason;  // empty when accepted
  int64_t count = 1;   // accepted requests merged into this entry
};

class AccessLog {
 public:
  // `flush_every` zero: no background thread; the owner calls flush() (tests do).
  AccessLog(store::Store& store, const Clock& clock, size_t retention = 1000,
            std::chrono::milliseconds flush_every = std::chrono::seconds(1));
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // `now_ms` 0: read the clock.
  void record(const KeyEntry& key, std::string_view ip, std::string_view method, std::string_view path, int status,
              std::string reason = {}, int64_t now_ms = 0);
  // Writes everything pending now, every key's last use included.
  void flush() { write_pending(false); }
  // Newest first.
  std::vector<AccessEntry> recent(int64_t key_id, size_t limit);

 private:
  void run();
  // `defer_last_use`: the background thread's flush, which writes a key's last use only when the
  // store's is 10 seconds old or more, and keeps the others for a later flush.
  void write_pending(bool defer_last_use);

  store::Store& store_;
  const Clock& clock_;
  size_t retention_;
  std::chrono::milliseconds flush_every_;
  std::mutex mu_;
  std::vector<AccessEntry> pending_;
  uint64_t batch_ = 1;  // increases at every flush; KeyUsage::pending_batch refers to it
  // Keys used since the last flush, each once (KeyUsage::used_batch); the flush writes their
  // last use from the KeyUsage itself, so a request only compares a number.
  std::vector<std::pair<int64_t, std::shared_ptr<KeyUsage>>> used_;
  // Keys whose stored log may be longer than `retention` (KeyUsage::untrimmed_rows reached a tenth
  // of it, or the key has no usage record to count in); the flush cuts them back.
  std::vector<int64_t> to_trim_;
  std::mutex flush_mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kg::keys
