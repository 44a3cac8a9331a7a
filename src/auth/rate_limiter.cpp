#include "auth/rate_limiter.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>

namespace kg::auth {

namespace {

constexpr size_t kInitialSlots = 64;  // per shard

int64_t unit_ms(std::string_view interval) {
  if (interval == "SECOND") return 1'000;
  if (interval == "MINUTE") return 60'000;
  if (interval == "HOUR") return 3'600'000;
  if (interval == "DAY") return 86'400'000;
  return 0;
}

char unit_letter(std::string_view interval) { return interval.empty() ? '?' : interval.front(); }

int64_t ceil_seconds(int64_t ms) { return std::max<int64_t>(1, (ms + 999) / 1000); }

// Dotted-quad IPv4 without inet_pton: the common case of every request.
bool parse_ipv4(std::string_view ip, uint32_t& out) {
  uint32_t addr = 0;
  int part = 0, digits = 0, value = 0;
  for (char c : ip) {
    if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
      if (++digits > 3 || value > 255) return false;
    } else if (c == '.' && digits > 0 && part < 3) {
      addr = addr << 8 | static_cast<uint32_t>(value);
      ++part;
      value = digits = 0;
    } else {
      return false;
    }
  }
  if (part != 3 || digits == 0) return false;
  out = addr << 8 | static_cast<uint32_t>(value);
  return true;
}

constexpr uint64_t kV4Tag = 0xffff'0000'0000ULL;  // IPv4 keys look like ::ffff:a.b.c.d

RateLimiter::Limit make_limit(const RateLimit& rl) {
  RateLimiter::Limit l;
  l.spec = rl;
  l.window_ms = unit_ms(rl.interval) * rl.interval_num;
  l.raw = rl.type == "RAW_REQUESTS";
  l.per = std::to_string(rl.interval_num) + " " + rl.interval;
  const std::string suffix = std::to_string(rl.interval_num) + unit_letter(rl.interval);
  if (rl.type == "REQUEST_WEIGHT") l.header = "X-MBX-USED-WEIGHT-" + suffix;
  if (rl.type == "ORDERS") l.header = "X-MBX-ORDER-COUNT-" + suffix;
  return l;
}

uint32_t saturating_add(uint32_t a, int64_t b) {
  const int64_t sum = static_cast<int64_t>(a) + std::max<int64_t>(0, b);
  return static_cast<uint32_t>(std::min<int64_t>(sum, std::numeric_limits<uint32_t>::max()));
}

}  // namespace

void RateLimiter::check(const std::vector<RateLimit>& limits) {
  size_t ip = 0, orders = 0;
  for (const auto& rl : limits) {
    const std::string where = "[[rate_limits]] " + rl.type + " per " + std::to_string(rl.interval_num) + " " + rl.interval;
    if (rl.type == "REQUEST_WEIGHT" || rl.type == "RAW_REQUESTS") {
      ++ip;
    } else if (rl.type == "ORDERS") {
      ++orders;
    } else {
      throw std::runtime_error(where + ": type must be REQUEST_WEIGHT, ORDERS or RAW_REQUESTS");
    }
    if (unit_ms(rl.interval) == 0) throw std::runtime_error(where + ": interval must be SECOND, MINUTE, HOUR or DAY");
    if (rl.interval_num < 1 || rl.interval_num > 1000) throw std::runtime_error(where + ": interval_num must be 1 to 1000");
    if (rl.limit < 1 || rl.limit > std::numeric_limits<int32_t>::max()) {
      throw std::runtime_error(where + ": limit must be 1 to 2147483647");
    }
  }
  if (ip > kMaxIpLimits) throw std::runtime_error("[[rate_limits]]: at most 6 REQUEST_WEIGHT and RAW_REQUESTS entries together");
  if (orders > kMaxOrderLimits) throw std::runtime_error("[[rate_limits]]: at most 4 ORDERS entries");
}

RateLimiter::RateLimiter(const std::vector<RateLimit>& limits, const Clock& clock, RateLimitPolicy policy)
    : clock_(clock), policy_(policy), ips_(policy.max_ips), accounts_(policy.max_accounts) {
  check(limits);
  // REQUEST_WEIGHT first: a refusal names the weight limit when both are over.
  for (const auto& rl : limits) {
    if (rl.type == "REQUEST_WEIGHT") ip_limits_.push_back(make_limit(rl));
  }
  for (const auto& rl : limits) {
    if (rl.type == "RAW_REQUESTS") ip_limits_.push_back(make_limit(rl));
    if (rl.type == "ORDERS") order_limits_.push_back(make_limit(rl));
  }
}

// ---------------------------------------------------------------------------------------------
// Keys and the table.

RateLimiter::Key RateLimiter::ip_key(std::string_view ip) {
  uint32_t v4 = 0;
  if (parse_ipv4(ip, v4)) return {0, kV4Tag | v4};
  char text[INET6_ADDRSTRLEN + 1];
  unsigned char a[16];
  if (ip.size() < sizeof text) {
    std::memcpy(text, ip.data(), ip.size());
    text[ip.size()] = '\0';
    if (inet_pton(AF_INET6, text, a) == 1) {
      static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      if (std::memcmp(a, kMapped, 12) == 0) {
        return {0, kV4Tag | (uint32_t{a[12]} << 24 | uint32_t{a[13]} << 16 | uint32_t{a[14]} << 8 | a[15])};
      }
      uint64_t prefix = 0;  // the /64
      for (int i = 0; i < 8; ++i) prefix = prefix << 8 | a[i];
      return {prefix, 0};
    }
  }
  // Not an address (client_ip never gives one of those): the text itself is the key.
  return {std::hash<std::string_view>{}(ip), 2};
}

uint64_t RateLimiter::hash(const Key& key) {
  uint64_t h = key.hi * 0x9E3779B97F4A7C15ULL ^ std::rotl(key.lo * 0xC2B2AE3D27D4EB4FULL, 31);
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDULL;
  h ^= h >> 33;
  return h;
}

RateLimiter::Table::Table(size_t max_entries) {
  // Live entries take at most half the slots of a full shard.
  max_slots_ = std::bit_ceil(std::max<size_t>(kInitialSlots, max_entries * 2 / kShards));
  for (auto& s : shards_) s.slots.resize(kInitialSlots);
}

void RateLimiter::Table::rebuild(Shard& shard, int64_t now) {
  size_t live = 0;
  for (const Slot& s : shard.slots) live += s.expires_at > now;
  size_t size = kInitialSlots;
  while (live * 4 > size && size < max_slots_) size *= 2;
  std::vector<Slot> old(size);
  old.swap(shard.slots);
  shard.used = 0;
  const size_t mask = size - 1;
  for (const Slot& s : old) {
    if (s.expires_at <= now) continue;
    size_t i = (hash(s.key) / kShards) & mask;
    while (shard.slots[i].expires_at != 0) i = (i + 1) & mask;
    shard.slots[i] = s;
    ++shard.used;
  }
}

// An empty entry for `key`, live until its caller sets what it holds.
RateLimiter::Slot RateLimiter::Table::fresh(const Key& key, int64_t now) {
  Slot s;
  s.key = key;
  s.expires_at = now + 1;
  return s;
}

RateLimiter::Slot* RateLimiter::Table::find_or_add(Shard& shard, const Key& key, uint64_t h, int64_t now) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const size_t mask = shard.slots.size() - 1;
    size_t i = (h / kShards) & mask;
    Slot* reusable = nullptr;
    // Probe to the first never-used slot: the key, if present, is on the way.
    for (; shard.slots[i].expires_at != 0; i = (i + 1) & mask) {
      Slot& s = shard.slots[i];
      if (s.key == key) {
        if (s.expires_at <= now) s = fresh(key, now);  // stale: start over in place
        return &s;
      }
      if (!reusable && s.expires_at <= now) reusable = &s;
    }
    if (reusable) {
      *reusable = fresh(key, now);
      return reusable;
    }
    if ((shard.used + 1) * 2 <= shard.slots.size()) {
      shard.slots[i] = fresh(key, now);
      ++shard.used;
      return &shard.slots[i];
    }
    // Half the slots were used: drop what expired, grow if the live ones need it.
    if (now < shard.full_until) return nullptr;
    rebuild(shard, now);
    if ((shard.used + 1) * 2 > shard.slots.size()) {
      shard.full_until = now + 1000;  // full of live entries: look again in a second
      return nullptr;
    }
  }
  return nullptr;
}

size_t RateLimiter::Table::live(int64_t now) const {
  size_t n = 0;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const Slot& s : shard.slots) n += s.expires_at > now;
  }
  return n;
}

size_t RateLimiter::tracked_ips() const { return ips_.live(clock_.now_ms()); }
size_t RateLimiter::tracked_accounts() const { return accounts_.live(clock_.now_ms()); }

// ---------------------------------------------------------------------------------------------
// Counting.

RateLimiter::IpResult RateLimiter::admit_ip(std::string_view ip, int weight) {
  IpResult r;
  const int64_t now = clock_.now_ms();
  const Key key = ip_key(ip);
  const uint64_t h = hash(key);
  Shard& shard = ips_.shard(h);
  std::lock_guard lock(shard.mu);
  Slot* s = ips_.find_or_add(shard, key, h, now);
  if (!s) {  // untracked (the table is full): this request alone
    r.counted = true;
    for (size_t i = 0; i < ip_limits_.size(); ++i) r.used[i] = ip_limits_[i].raw ? 1 : std::max(0, weight);
    return r;
  }
  if (now < s->banned_until) {
    r.verdict = Verdict::kBanned;
    r.banned_until_ms = s->banned_until;
    r.retry_after_s = ceil_seconds(s->banned_until - now);
    return r;
  }
  r.counted = true;
  int64_t expires = s->expires_at;
  int64_t refused_until = 0;  // the end of the last exceeded window
  for (size_t i = 0; i < ip_limits_.size(); ++i) {
    const Limit& l = ip_limits_[i];
    const int64_t id = now / l.window_ms;
    Window& w = s->windows[i];
    if (w.id != static_cast<uint32_t>(id)) w = Window{static_cast<uint32_t>(id), 0};
    w.used = saturating_add(w.used, l.raw ? 1 : weight);
    r.used[i] = w.used;
    const int64_t end = (id + 1) * l.window_ms;
    expires = std::max(expires, end);
    if (w.used > l.spec.limit) {
      if (r.limit < 0) r.limit = static_cast<int>(i);
      refused_until = std::max(refused_until, end);
    }
  }
  if (r.limit >= 0) {
    if (now >= s->strikes_until) s->strikes = 0;
    s->strikes_until = std::max(s->strikes_until, refused_until);
    expires = std::max(expires, s->strikes_until);
    if (++s->strikes > static_cast<uint32_t>(policy_.strikes_before_ban)) {
      // Kept going after the 429s: a ban, twice as long as the last one within memory.
      if (s->bans > 0 && now >= s->last_ban_end + policy_.forget_bans_after_ms) s->bans = 0;
      const int shift = static_cast<int>(std::min<uint32_t>(s->bans, 40));
      int64_t duration = policy_.max_ban_ms;
      if (shift < 40 && policy_.first_ban_ms <= (policy_.max_ban_ms >> shift)) duration = policy_.first_ban_ms << shift;
      s->banned_until = now + duration;
      s->last_ban_end = s->banned_until;
      s->bans = std::min<uint32_t>(s->bans + 1, 40);
      s->strikes = 0;
      s->strikes_until = 0;
      expires = std::max(expires, s->last_ban_end + policy_.forget_bans_after_ms);
      r.verdict = Verdict::kBanned;
      r.ban_started = true;
      r.banned_until_ms = s->banned_until;
      r.retry_after_s = ceil_seconds(duration);
    } else {
      r.verdict = Verdict::kTooMany;
      r.retry_after_s = ceil_seconds(refused_until - now);
    }
  }
  s->expires_at = expires;
  return r;
}

RateLimiter::OrderResult RateLimiter::admit_order(int64_t account) {
  OrderResult r;
  const int64_t now = clock_.now_ms();
  const Key key{static_cast<uint64_t>(account), 1};
  const uint64_t h = hash(key);
  Shard& shard = accounts_.shard(h);
  std::lock_guard lock(shard.mu);
  Slot* s = accounts_.find_or_add(shard, key, h, now);
  if (!s) {
    for (size_t i = 0; i < order_limits_.size(); ++i) r.count[i] = 1;
    return r;
  }
  int64_t refused_until = 0;
  for (size_t i = 0; i < order_limits_.size(); ++i) {
    const Limit& l = order_limits_[i];
    const int64_t id = now / l.window_ms;
    Window& w = s->windows[i];
    if (w.id != static_cast<uint32_t>(id)) w = Window{static_cast<uint32_t>(id), 0};
    if (static_cast<int64_t>(w.used) + 1 > l.spec.limit) {
      if (r.limit < 0) r.limit = static_cast<int>(i);
      refused_until = std::max(refused_until, (id + 1) * l.window_ms);
    }
  }
  if (r.limit >= 0) {  // refused orders are not counted
    r.passed = false;
    r.retry_after_s = ceil_seconds(refused_until - now);
    for (size_t i = 0; i < order_limits_.size(); ++i) r.count[i] = s->windows[i].used;
    return r;
  }
  int64_t expires = s->expires_at;
  for (size_t i = 0; i < order_limits_.size(); ++i) {
    const Limit& l = order_limits_[i];
    Window& w = s->windows[i];
    w.used = saturating_add(w.used, 1);
    r.count[i] = w.used;
    expires = std::max(expires, (static_cast<int64_t>(w.id) + 1) * l.window_ms);
  }
  s->expires_at = expires;
  return r;
}

Error RateLimiter::error(const IpResult& r) const {
  if (r.verdict == Verdict::kBanned) return make_error(err::kIpBanned, r.banned_until_ms);
  const Limit& l = ip_limits_.at(static_cast<size_t>(r.limit));
  return make_error(l.raw ? err::kTooManyRequests : err::kTooMuchWeight, l.spec.limit, l.per);
}

Error RateLimiter::error(const OrderResult& r) const {
  const Limit& l = order_limits_.at(static_cast<size_t>(r.limit));
  return make_error(err::kTooManyOrders, l.spec.limit, l.per);
}

}  // namespace kg::auth
