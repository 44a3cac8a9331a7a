#pragma once
// The one place a signed request is authenticated and authorised, before any handler runs.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/replay_guard.hpp"
#include "common/clock.hpp"
#include "common/query.hpp"
#include "common/result.hpp"
#include "keys/access_log.hpp"
#include "keys/key_index.hpp"

namespace kg::auth {

// Binance's security types.
enum class Security {
  kNone,        // public
  kUserStream,  // API key only
  kUserData,    // API key + signature
  kTrade,       // API key + signature
};

struct SignedRequest {
  std::string_view api_key;  // X-MBX-APIKEY
  std::string_view query;    // raw
  std::string_view body;     // raw
  const Params& params;      // parsed, merged
  std::string_view ip;       // the client, after trusted-proxy handling
  std::string_view method;
  std::string_view path;
  // The WebSocket API signs its params sorted by name instead of the query and body: that text
  // (and the same with percent-encoded values, which some clients sign instead). Empty for REST.
  std::string_view payload = {};
  std::string_view alt_payload = {};
  // The key was authenticated for this WebSocket session (session.logon): no signature is needed,
  // everything else (active, expiry, IP, timestamp window, permission) is checked as usual.
  bool preauthorized = false;
};

struct Authorised {
  std::shared_ptr<const keys::KeyEntry> key;
  int64_t checked_at_ms = 0;
};

class Gatekeeper {
 public:
  Gatekeeper(const keys::KeyIndex& index, keys::AccessLog& log, const Clock& clock)
      : index_(index), log_(log), clock_(clock) {}

  // As soon as the request's X-MBX-APIKEY is known, before its parameters are parsed: starts
  // fetching the key's index slot, which check() then finds in cache.
  void prefetch(std::string_view api_key) const { index_.prefetch(api_key); }

  // `required` is the route's permission, if it has one.
  Result<Authorised> check(const SignedRequest& request, Security security,
                           std::optional<keys::Permission> required);

  // After the handler ran: records the outcome in the key's access log (at `now_ms`, the time of
  // the check, when given).
  // `error` is the handler's "code msg" when it refused the request.
  void record(const keys::KeyEntry& key, const SignedRequest& request, int status, int64_t now_ms = 0,
              std::string_view error = {});
  void record(const keys::KeyEntry& key, std::string_view ip, std::string_view method, std::string_view path,
              int status, int64_t now_ms, std::string_view error);

 private:
  Error refuse(const keys::KeyEntry* key, const SignedRequest& request, Error error, std::string reason);
  // A signature in canonical form: its raw bytes (HMAC: the 32 bytes of the hex; RSA-4096: 512).
  struct Canonical {
    char bytes[512];
    size_t size = 0;
    std::string_view view() const { return {bytes, size}; }
  };
  // The canonical form of a signature as sent (false when it cannot be one: bad hex or base64),
  // so that one signature written two ways is one signature to the replay guard.
  static bool canonical_signature(const keys::KeyEntry& key, std::string_view signature, Canonical& out);
  // Whether the canonical signature is valid for the payload.
  bool verify_signature(const keys::KeyEntry& key, std::string_view payload, const Canonical& canonical,
                        int64_t now_ms) const;

  const keys::KeyIndex& index_;
  keys::AccessLog& log_;
  const Clock& clock_;
  ReplayGuard replay_;
};

}  // namespace kg::auth
