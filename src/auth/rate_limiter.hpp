#pragma once
// Binance's REST rate limits, counted before any handler runs: REQUEST_WEIGHT and RAW_REQUESTS per
// client IP, ORDERS per account, each over the intervals configured in [[rate_limits]] (the ones
// exchangeInfo publishes). Windows are fixed and aligned to the clock: a 1 MINUTE window is
// [hh:mm:00, hh:mm+1:00), 10 SECOND ones start at multiples of 10 s, a DAY at 00:00 UTC.
//
// Over a limit the request is refused (429 -1003 or -1015) with the seconds until its window ends;
// an IP that keeps sending after more than `strikes_before_ban` refusals in one window is banned
// (418 -1003) for 2 minutes, doubling with every ban (to at most 3 days) until a day passes without
// one. A banned IP's requests are refused with a lookup and nothing else: they are not counted.
// An IPv6 client is limited per /64 (what one host or site usually holds), an IPv4 one per address.
//
// Every network thread calls this on every request, so a check is one hash and usually one cache
// line under one of 64 shard locks. Each shard is a flat open-addressing table whose slots are free
// again once everything in them has expired (windows, ban, ban memory); a shard rebuilds itself
// (dropping expired slots, growing or shrinking) when half its slots were ever used, under its own
// lock only. Memory is bounded: at most `max_ips` IPs (and `max_accounts` accounts) are tracked at
// once, about 100 bytes each; when a shard is full of live entries, new IPs pass uncounted until
// entries expire (fail-open: an attacker with that many addresses is not stopped by per-IP limits
// anyway, and bans already made are never evicted).

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "common/market.hpp"

namespace kg::auth {

struct RateLimitPolicy {
  int strikes_before_ban = 10;                  // 429s an IP may get in one window; the next is a ban
  int64_t first_ban_ms = 2 * 60'000;            // 2 minutes
  int64_t max_ban_ms = 3 * 86'400'000LL;        // 3 days
  int64_t forget_bans_after_ms = 86'400'000;    // a day after its last ban ended, an IP starts over
  size_t max_ips = size_t{1} << 17;             // tracked at once
  size_t max_accounts = size_t{1} << 17;
};

class RateLimiter {
 public:
  static constexpr size_t kMaxIpLimits = 6;     // REQUEST_WEIGHT and RAW_REQUESTS intervals together
  static constexpr size_t kMaxOrderLimits = 4;  // ORDERS intervals

  // Throws std::runtime_error naming the bad [[rate_limits]] entry: an unknown type or interval,
  // interval_num outside 1..1000, limit outside 1..2^31-1, or more intervals than the maxima above.
  static void check(const std::vector<RateLimit>& limits);

  RateLimiter(const std::vector<RateLimit>& limits, const Clock& clock, RateLimitPolicy policy = {});
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  struct Limit {
    RateLimit spec;
    int64_t window_ms = 0;
    bool raw = false;    // RAW_REQUESTS: counts requests, not weight
    std::string header;  // X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-10S; empty for RAW_REQUESTS
    std::string per;     // "1 MINUTE", for the error messages
  };
  const std::vector<Limit>& ip_limits() const { return ip_limits_; }        // REQUEST_WEIGHT first
  const std::vector<Limit>& order_limits() const { return order_limits_; }

  enum class Verdict : uint8_t { kPass, kTooMany /* 429 */, kBanned /* 418 */ };

  struct IpResult {
    Verdict verdict = Verdict::kPass;
    bool counted = false;       // false only for a request of an IP already banned
    bool ban_started = false;   // this request started the ban (worth a log line)
    int limit = -1;             // kTooMany: the first limit (index in ip_limits()) it is over
    int64_t retry_after_s = 0;  // kTooMany: until every exceeded window ends; kBanned: until the ban ends
    int64_t banned_until_ms = 0;
    std::array<int64_t, kMaxIpLimits> used{};  // per ip_limits(), this request included
  };
  // Counts `weight` (and one raw request) against the IP, given as client_ip() returns it.
  IpResult admit_ip(std::string_view ip, int weight);

  struct OrderResult {
    bool passed = true;  // false: 429 -1015, and the order is not counted
    int limit = -1;
    int64_t retry_after_s = 0;
    std::array<int64_t, kMaxOrderLimits> count{};  // per order_limits(), this order included
  };
  // Counts one new order of the account.
  OrderResult admit_order(int64_t account);

  // Binance's error for a refusal.
  Error error(const IpResult& r) const;
  Error error(const OrderResult& r) const;

  // What is tracked now (entries not yet expired), for tests and figures.
  size_t tracked_ips() const;
  size_t tracked_accounts() const;

 private:
  struct Key {
    uint64_t hi = 0, lo = 0;
    bool operator==(const Key&) const = default;
  };
  struct Window {
    uint32_t id = 0;    // now_ms / window_ms
    uint32_t used = 0;  // saturates
  };
  struct Slot {
    Key key;
    int64_t expires_at = 0;  // 0: never used; <= now: free again (everything in it is stale)
    std::array<Window, kMaxIpLimits> windows{};
    int64_t banned_until = 0;
    int64_t strikes_until = 0;  // the strikes below count until the refused windows end
    int64_t last_ban_end = 0;
    uint32_t strikes = 0;
    uint32_t bans = 0;
  };
  struct alignas(64) Shard {  // a cache line of its own: threads on two shards never share one
    std::mutex mu;
    std::vector<Slot> slots;  // power-of-two size
    size_t used = 0;          // slots ever filled since the last rebuild
    int64_t full_until = 0;   // at capacity with live entries: new keys pass untracked until then
  };
  static constexpr size_t kShards = 64;
  class Table {
   public:
    Table(size_t max_entries);
    // The slot of `key`, fresh when it was absent or stale; nullptr when the shard is full.
    // The caller holds `lock` on the shard (shard(key).mu) for as long as it uses the slot.
    Slot* find_or_add(Shard& shard, const Key& key, uint64_t hash, int64_t now);
    Shard& shard(uint64_t hash) { return shards_[hash % kShards]; }
    size_t live(int64_t now) const;

   private:
    void rebuild(Shard& shard, int64_t now);
    static Slot fresh(const Key& key, int64_t now);
    mutable std::array<Shard, kShards> shards_;
    size_t max_slots_;  // per shard
  };

  static Key ip_key(std::string_view ip);
  static uint64_t hash(const Key& key);

  const Clock& clock_;
  RateLimitPolicy policy_;
  std::vector<Limit> ip_limits_;
  std::vector<Limit> order_limits_;
  Table ips_;
  Table accounts_;
};

}  // namespace kg::auth
