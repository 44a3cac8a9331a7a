#pragma once
// An API key as stored, and its in-memory form with pre-keyed verifiers.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "crypto/signature.hpp"
#include "keys/ip_allowlist.hpp"
#include "keys/permissions.hpp"
#include "keys/withdraw_rules.hpp"

namespace kg::keys {

// Rate limits an owner sets on one key, below the account's and the IP's (no exchange offers
// them): new orders per 10 seconds and request weight per minute. 0: none of its own.
struct KeyLimits {
  int64_t orders_per_10s = 0;
  int64_t weight_per_minute = 0;

  // True when these let the key do nothing the `old` ones did not (so no 2FA is needed).
  bool within(const KeyLimits& old) const {
    auto tighter = [](int64_t now, int64_t before) { return before == 0 || (now != 0 && now <= before); };
    return tighter(orders_per_10s, old.orders_per_10s) && tighter(weight_per_minute, old.weight_per_minute);
  }
  bool operator==(const KeyLimits&) const = default;
};

struct ApiKey {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string api_key;  // public identifier, 64 characters
  std::string label;
  KeyType type = KeyType::kHmacSha256;
  PermissionSet permissions = 0;
  bool read_only = false;
  IpAllowlist allowlist;  // empty: all IPs allowed
  bool active = true;
  int64_t created_at = 0;
  int64_t expires_at = 0;        // 0: never
  int64_t trade_expires_at = 0;  // 0: TRADE does not lapse
  std::string public_key;        // PEM, for Ed25519 and RSA keys
  int64_t last_used_at = 0;
  std::string last_used_ip;
  WithdrawRules withdraw;
  KeyLimits limits;

  bool expired(int64_t now_ms) const { return expires_at != 0 && now_ms >= expires_at; }
  // What the key may do right now: read-only leaves only READ; TRADE lapses.
  PermissionSet effective_permissions(int64_t now_ms) const;
};

// Last use, updated on every request without a store write; flushed by the access log.
struct KeyUsage {
  std::atomic<int64_t> last_used_at{0};
  std::mutex mu;
  std::string last_used_ip;
  std::atomic<uint64_t> last_used_ip_hash{0};
  // The access log's newest accepted entry of this key in its pending batch (guarded by the log).
  size_t pending_index = 0;
  uint64_t pending_batch = 0;  // which batch; 0: none
  uint64_t used_batch = 0;     // the last batch whose flush writes this key's last use (guarded by the log)
  int64_t stored_at = 0;       // the last use the store has (guarded by the log's flush)
  size_t untrimmed_rows = 0;   // log rows since the log was last cut to its retention (guarded by the log)
};

// The index's view of a key: immutable once built; a change builds a new entry.
struct KeyEntry {
  ApiKey key;
  // Verifiers are shared between an entry and the entries that replace it.
  std::shared_ptr<const crypto::HmacSha256Key> hmac;
  std::shared_ptr<const crypto::HmacSha256Key> previous_hmac;  // during a rotation's grace period
  int64_t previous_until = 0;
  std::shared_ptr<const crypto::Ed25519PublicKey> ed25519;
  std::shared_ptr<const crypto::RsaPublicKey> rsa;
  std::shared_ptr<KeyUsage> usage;
};

}  // namespace kg::keys
