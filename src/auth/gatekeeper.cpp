#include "auth/gatekeeper.hpp"

#include <algorithm>


#include "auth/timestamp.hpp"
#include "keys/key_service.hpp"
#include "crypto/encoding.hpp"

namespace kg::auth {

using keys::KeyEntry;
using keys::KeyType;
using keys::Permission;

namespace {
// Withdrawals and transfers answer a missing permission with -1002, the rest with -2015.
Error missing_permission(Permission p) {
  if (p == Permission::kWithdraw || p == Permission::kTransfer) return make_error(err::kUnauthorized);
  return make_error(err::kApiKeyRejected);
}

// Ed25519 and RSA signatures are base64; a client that forgot to percent-encode them had its
// '+' turned into ' ' by form decoding, which we undo.
std::optional<std::string> decode_base64_signature(std::string text) {
  for (char& c : text) {
    if (c == ' ') c = '+';
  }
  return crypto::from_base64(text);
}
}  // namespace

Error Gatekeeper::refuse(const KeyEntry* key, const SignedRequest& r, Error error, std::string reason) {
  if (key) log_.record(*key, r.ip, r.method, r.path, error.http, std::move(reason));
  return error;
}

void Gatekeeper::record(const KeyEntry& key, const SignedRequest& r, int status, int64_t now_ms, std::string_view error) {
  record(key, r.ip, r.method, r.path, status, now_ms, error);
}

void Gatekeeper::record(const KeyEntry& key, std::string_view ip, std::string_view method, std::string_view path,
                        int status, int64_t now_ms, std::string_view error) {
  std::string reason;
  if (status >= 400) reason = error.empty() ? "request failed with HTTP " + std::to_string(status) : std::string(error);
  log_.record(key, ip, method, path, status, std::move(reason), now_ms);
}

bool Gatekeeper::canonical_signature(const KeyEntry& key, std::string_view signature, Canonical& out) {
  if (key.key.type == KeyType::kHmacSha256) {
    // The 32 bytes the hex stands for: the same however the hex is cased.
    if (!crypto::decode_hex32(signature, reinterpret_cast<unsigned char*>(out.bytes))) return false;
    out.size = 32;
    return true;
  }
  auto raw = decode_base64_signature(std::string(signature));
  if (!raw || raw->size() > sizeof out.bytes) return false;
  std::copy(raw->begin(), raw->end(), out.bytes);
  out.size = raw->size();
  return true;
}

bool Gatekeeper::verify_signature(const KeyEntry& key, std::string_view payload, const Canonical& canonical,
                                  int64_t now_ms) const {
  switch (key.key.type) {
    case KeyType::kHmacSha256:
      return (key.hmac && key.hmac->verify_raw(payload, canonical.view())) ||
             (key.previous_hmac && now_ms < key.previous_until && key.previous_hmac->verify_raw(payload, canonical.view()));
    case KeyType::kEd25519:
      return key.ed25519 && key.ed25519->verify(payload, canonical.view());
    case KeyType::kRsa:
      return key.rsa && key.rsa->verify(payload, canonical.view());
  }
  return false;
}

Result<Authorised> Gatekeeper::check(const SignedRequest& r, Security security, std::optional<Permission> required) {
  auto entry = index_.find(r.api_key);
  if (!entry) {
    // Keys in the index are well-formed by construction: only a miss needs the format check.
    return make_error(keys::valid_api_key_format(r.api_key) ? err::kApiKeyRejected : err::kApiKeyFormat);
  }
  const KeyEntry& key = *entry;
  const int64_t now = clock_.now_ms();

  if (!key.key.active) return refuse(&key, r, make_error(err::kApiKeyRejected), "key is inactive");
  if (index_.user_blocked(key.key.user_id)) {
    return refuse(&key, r, make_error(err::kApiKeyRejected), "API access is disabled for this account");
  }
  if (key.key.expired(now)) return refuse(&key, r, make_error(err::kApiKeyRejected), "key has expired");
  if (!key.key.allowlist.empty() && !key.key.allowlist.allows(r.ip)) {
    return refuse(&key, r, make_error(err::kApiKeyRejected), "IP " + std::string(r.ip) + " is not in the allowlist");
  }

  if (security == Security::kUserData || security == Security::kTrade) {
    auto window = check_timestamp(r.params.get("timestamp"), r.params.get("recvWindow"), now);
    if (!window) return refuse(&key, r, window.error(), "timestamp: " + window.error().msg);
    if (!r.preauthorized) {
      const auto signature = r.params.get("signature");
      if (!signature || signature->empty()) {
        return refuse(&key, r, make_error(err::kBadParam, "signature"), "no signature");
      }
      Canonical canonical;
      if (!canonical_signature(key, *signature, canonical)) {
        return refuse(&key, r, make_error(err::kBadSignature), "signature is not valid");
      }
      // Start fetching the replay guard's slot now; verifying the signature hides the wait.
      const uint64_t fingerprint = ReplayGuard::fingerprint(key.key.id, canonical.view());
      replay_.prefetch(fingerprint);
      std::string storage;
      const std::string_view payload =
          r.payload.empty() ? signature_payload(r.query, r.body, storage) : r.payload;
      if (!verify_signature(key, payload, canonical, now) &&
          (r.alt_payload.empty() || !verify_signature(key, r.alt_payload, canonical, now))) {
        return refuse(&key, r, make_error(err::kBadSignature), "signature is not valid");
      }
      if (!replay_.first_use(fingerprint, window->expires_at_ms, now)) {
        return refuse(&key, r, make_error(err::kReplayedSignature), "signature was already used (replay)");
      }
    }
  }

  if (required && !keys::has(key.key.effective_permissions(now), *required)) {
    std::string reason = "key lacks the " + std::string(keys::permission_name(*required)) + " permission";
    if (key.key.read_only && keys::has(key.key.permissions, *required)) reason += " (read-only)";
    if (*required == Permission::kTrade && key.key.trade_expires_at != 0 && now >= key.key.trade_expires_at) {
      reason = "TRADE lapsed: the key has no IP allowlist";
    }
    return refuse(&key, r, missing_permission(*required), std::move(reason));
  }
  return Authorised{entry, now};
}

}  // namespace kg::auth
