// TOTP two-factor authentication: setup, enable, disable and the check that consumes a code.

#include <spdlog/spdlog.h>

#include "accounts/accounts.hpp"
#include "accounts/qr_svg.hpp"
#include "accounts/user_row.hpp"
#include "crypto/encoding.hpp"
#include "crypto/random.hpp"
#include "crypto/totp.hpp"

namespace kg::accounts {

using store::Db;

namespace {
constexpr size_t kSeedBytes = 20;  // 160 bits, RFC 4226's recommendation for HMAC-SHA1

std::string active_context(int64_t user_id) { return "totp:" + std::to_string(user_id); }
std::string pending_context(int64_t user_id) { return "totp-pending:" + std::to_string(user_id); }
}  // namespace

Result<TotpSetup> Accounts::totp_setup(int64_t user_id) {
  const std::string seed = crypto::random_bytes(kSeedBytes);
  const std::string sealed = sealer_.seal(seed, pending_context(user_id));
  auto email = store_.tx([&](Db& db) -> Result<std::string> {
    auto row = db.query_one(std::string("SELECT email, totp_enabled FROM users WHERE id = ?") + for_update(db),
                            {user_id});
    if (!row) return make_error(err::kUnauthenticated);
    if (row->boolean(1)) return make_error(err::kTotpAlreadyEnabled);
    db.exec("UPDATE users SET totp_pending_sealed = ?, updated_at = ? WHERE id = ?",
            {sealed, clock_.now_ms(), user_id});
    return row->text(0);
  });
  if (!email) return email.error();
  TotpSetup setup;
  setup.secret_base32 = crypto::to_base32(seed);
  setup.otpauth_uri = crypto::totp_uri(config_.issuer, *email, setup.secret_base32);
  setup.qr_svg = qr_svg(setup.otpauth_uri);
  return setup;
}

Status Accounts::totp_enable(int64_t user_id, const std::string& code) {
  return store_.tx([&](Db& db) -> Status {
    auto row = db.query_one(std::string("SELECT totp_enabled, totp_pending_sealed FROM users WHERE id = ?") +
                                for_update(db),
                            {user_id});
    if (!row) return make_error(err::kUnauthenticated);
    if (row->boolean(0)) return make_error(err::kTotpAlreadyEnabled);
    if (row->is_null(1)) return make_error(err::kTotpNoSetup);
    if (auto s = verify_totp(db, user_id, code, TotpSlot::kPending); !s) return s;
    auto seed = sealer_.unseal(row->text(1), pending_context(user_id));
    if (!seed) throw std::runtime_error("TOTP seed does not unseal under the master key");
    db.exec("UPDATE users SET totp_enabled = 1, totp_sealed = ?, totp_pending_sealed = NULL, "
            "updated_at = ? WHERE id = ?",
            {sealer_.seal(*seed, active_context(user_id)), clock_.now_ms(), user_id});
    spdlog::info("event=2fa_enabled uid={}", user_id);
    return ok_status();
  });
}

Status Accounts::totp_disable(int64_t user_id, const std::string& code, const std::function<void(Db&)>& also) {
  return store_.tx([&](Db& db) -> Status {
    if (auto s = verify_totp(db, user_id, code, TotpSlot::kActive); !s) return s;
    if (also) also(db);
    db.exec("UPDATE users SET totp_enabled = 0, totp_sealed = NULL, updated_at = ? WHERE id = ?",
            {clock_.now_ms(), user_id});
    spdlog::info("event=2fa_disabled uid={}", user_id);
    return ok_status();
  });
}

Status Accounts::check_totp(int64_t user_id, const std::string& code) {
  return store_.tx([&](Db& db) { return verify_totp(db, user_id, code, TotpSlot::kActive); });
}

// Checks a code against the active (or pending) seed and records the outcome in the same
// transaction: a match must be for a later step than any code used before (each code works
// once), and wrong codes count towards a lock.
Status Accounts::verify_totp(Db& db, int64_t user_id, const std::string& code, TotpSlot slot) {
  const int64_t now = clock_.now_ms();
  auto row = db.query_one(std::string("SELECT totp_enabled, totp_sealed, totp_pending_sealed, totp_last_step, "
                                      "totp_failures, totp_window_start, totp_locked_until FROM users WHERE id = ?") +
                              for_update(db),
                          {user_id});
  if (!row) return make_error(err::kUnauthenticated);
  const bool pending = slot == TotpSlot::kPending;
  if (!pending && !row->boolean(0)) return make_error(err::kTotpNotEnabled);
  if (row->int64(6) > now) return make_error(err::kTotpLocked, (row->int64(6) - now + 999) / 1000);

  const size_t seed_col = pending ? 2 : 1;
  if (row->is_null(seed_col)) return make_error(err::kTotpNoSetup);
  auto seed = sealer_.unseal(row->text(seed_col), pending ? pending_context(user_id) : active_context(user_id));
  if (!seed) throw std::runtime_error("TOTP seed does not unseal under the master key");

  // Codes of a new seed were never used; for the active seed, only a later step than the last
  // accepted one is accepted (RFC 6238 one-time use; an older unused code is refused too).
  const int64_t last_step = pending ? 0 : row->int64(3);
  auto step = crypto::totp_match(*seed, code, now / 1000);
  if (step && *step > last_step) {
    db.exec("UPDATE users SET totp_last_step = ?, totp_failures = 0 WHERE id = ?", {*step, user_id});
    return ok_status();
  }
  int64_t failures = 1;
  int64_t window_start = now;
  if (now - row->int64(5) < config_.totp_window_s * 1000) {
    failures = row->int64(4) + 1;
    window_start = row->int64(5);
  }
  const int64_t locked_until = failures >= config_.totp_max_failures ? now + config_.totp_lock_s * 1000 : 0;
  db.exec("UPDATE users SET totp_failures = ?, totp_window_start = ?, totp_locked_until = ? WHERE id = ?",
          {failures, window_start, locked_until, user_id});
  spdlog::warn("event=2fa_failed uid={} failures={} locked={}", user_id, failures, locked_until != 0);
  return make_error(err::kTotpInvalid);
}

}  // namespace kg::accounts
