#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "crypto/password.hpp"
#include "crypto/sealer.hpp"
#include "store/store.hpp"

namespace kg::accounts {

struct User {
  int64_t id = 0;
  std::string email;
  bool api_access = true;
  bool totp_enabled = false;
  int64_t created_at = 0;
  bool login_locked = false;  // filled by list_users only
};

struct Session {
  std::string token;  // shown to the client once; only its hash is stored
  int64_t expires_at = 0;
  User user;
};

struct TotpSetup {
  std::string secret_base32;
  std::string otpauth_uri;
  std::string qr_svg;
};

struct AccountsConfig {
  int64_t session_ttl_s = 24 * 3600;
  int login_max_failures = 5;
  int64_t login_window_s = 15 * 60;
  int64_t login_lock_s = 15 * 60;
  int totp_max_failures = 10;
  int64_t totp_window_s = 15 * 60;
  int64_t totp_lock_s = 15 * 60;
  std::string issuer = "keygate";
  crypto::Argon2Params argon2;
};

class Accounts {
 public:
  Accounts(store::Store& store, const crypto::Sealer& sealer, const Clock& clock,
           AccountsConfig config);

  Result<User> signup(const std::string& email, const std::string& password);
  Result<Session> login(const std::string& email, const std::string& password,
                        const std::optional<std::string>& totp, const std::string& ip);
  void logout(const std::string& token);
  Result<User> authenticate(const std::string& token);
  Result<User> find_by_email(const std::string& email);
  Result<User> find_by_id(int64_t id);

  // Two-factor authentication.
  Result<TotpSetup> totp_setup(int64_t user_id);
  Status totp_enable(int64_t user_id, const std::string& code);
  // `also` runs inside the same transaction (the key service deactivates the user's keys there).
  Status totp_disable(int64_t user_id, const std::string& code,
                      const std::function<void(store::Db&)>& also = {});
  // A fresh code for an account with 2FA on; consumes the code. For actions that add power.
  Status check_totp(int64_t user_id, const std::string& code);

  // Operator actions.
  std::vector<User> list_users();
  std::vector<int64_t> users_without_api_access();
  Status set_api_access(const std::string& email, bool on);
  Status unlock(const std::string& email);

 private:
  enum class TotpSlot { kActive, kPending };
  Status verify_totp(store::Db& db, int64_t user_id, const std::string& code, TotpSlot slot);
  void record_login_failure(const std::string& email);

  store::Store& store_;
  const crypto::Sealer& sealer_;
  const Clock& clock_;
  AccountsConfig config_;
  std::string dummy_hash_;  // verified against for unknown emails, so both take as long
};

}  // namespace kg::accounts
