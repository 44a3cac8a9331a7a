#include "accounts/accounts.hpp"

#include <spdlog/spdlog.h>

#include "accounts/user_row.hpp"
#include "accounts/validation.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"

namespace kg::accounts {

using store::Db;
using store::Row;

Accounts::Accounts(store::Store& store, const crypto::Sealer& sealer, const Clock& clock,
                   AccountsConfig config)
    : store_(store), sealer_(sealer), clock_(clock), config_(std::move(config)) {
  dummy_hash_ = crypto::hash_password(crypto::random_hex(16), config_.argon2);
}

Result<User> Accounts::signup(const std::string& email_in, const std::string& password) {
  const std::string email = normalize_email(email_in);
  if (!valid_email(email)) return make_error(err::kInvalidEmail);
  if (!valid_password_length(password)) {
    return make_error(err::kWeakPassword, kMinPasswordChars, kMaxPasswordChars);
  }
  const std::string hash = crypto::hash_password(password, config_.argon2);  // slow: outside the tx
  const int64_t now = clock_.now_ms();
  try {
    auto user = store_.tx([&](Db& db) {
      auto row = db.query_one(std::string("INSERT INTO users (email, password_hash, created_at, "
                                          "updated_at) VALUES (?, ?, ?, ?) RETURNING ") + kUserColumns,
                              {email, hash, now, now});
      return user_from_row(*row);
    });
    spdlog::info("event=user_created uid={}", user.id);
    return user;
  } catch (const store::StoreError& e) {
    if (e.unique_violation()) return make_error(err::kEmailTaken);
    throw;
  }
}

Result<Session> Accounts::login(const std::string& email_in, const std::string& password,
                                const std::optional<std::string>& totp, const std::string& ip) {
  const std::string email = normalize_email(email_in);
  const int64_t now = clock_.now_ms();
  struct Found {
    int64_t locked_until = 0;
    std::optional<std::string> hash;
    User user;
  };
  Found found = store_.tx([&](Db& db) {
    Found f;
    if (auto lock = db.query_one("SELECT locked_until FROM login_attempts WHERE email = ?", {email})) {
      f.locked_until = lock->int64(0);
    }
    auto row = db.query_one(std::string("SELECT password_hash, ") + kUserColumns +
                                " FROM users WHERE email = ?",
                            {email});
    if (row) {
      f.hash = row->text(0);
      f.user = user_from_row(*row, 1);
    }
    return f;
  });
  // Unknown and known emails take the same path: same lock, same hash work, same answer.
  if (found.locked_until > now) {
    return make_error(err::kLoginLocked, (found.locked_until - now + 999) / 1000);
  }
  const bool password_ok = crypto::verify_password(found.hash ? *found.hash : dummy_hash_, password);
  if (!found.hash || !password_ok) {
    record_login_failure(email);
    return make_error(err::kBadCredentials);
  }
  if (found.user.totp_enabled) {
    if (!totp || totp->empty()) return make_error(err::kTotpRequired);
    if (auto s = check_totp(found.user.id, *totp); !s) return s.error();
  }
  Session session;
  session.token = "kgs_" + crypto::random_hex(32);
  session.expires_at = now + config_.session_ttl_s * 1000;
  session.user = found.user;
  store_.tx([&](Db& db) {
    db.exec("DELETE FROM login_attempts WHERE email = ?", {email});
    db.exec("DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?", {found.user.id, now});
    db.exec("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip) VALUES (?, ?, ?, ?, ?)",
            {crypto::sha256_hex(session.token), found.user.id, now, session.expires_at, ip});
  });
  spdlog::info("event=login uid={} ip={}", found.user.id, ip);
  return session;
}

void Accounts::record_login_failure(const std::string& email) {
  const int64_t now = clock_.now_ms();
  store_.tx([&](Db& db) {
    auto row = db.query_one(std::string("SELECT failures, window_start FROM login_attempts WHERE email = ?") +
                                for_update(db),
                            {email});
    int64_t failures = 1;
    int64_t window_start = now;
    if (row && now - row->int64(1) < config_.login_window_s * 1000) {
      failures = row->int64(0) + 1;
      window_start = row->int64(1);
    }
    const int64_t locked_until = failures >= config_.login_max_failures ? now + config_.login_lock_s * 1000 : 0;
    if (row) {
      db.exec("UPDATE login_attempts SET failures = ?, window_start = ?, locked_until = ? WHERE email = ?",
              {failures, window_start, locked_until, email});
    } else {
      db.exec("INSERT INTO login_attempts (email, failures, window_start, locked_until) VALUES (?, ?, ?, ?)",
              {email, failures, window_start, locked_until});
    }
    if (locked_until) spdlog::warn("event=login_locked failures={}", failures);
  });
}

void Accounts::logout(const std::string& token) {
  store_.tx([&](Db& db) { db.exec("DELETE FROM sessions WHERE token_hash = ?", {crypto::sha256_hex(token)}); });
}

Result<User> Accounts::authenticate(const std::string& token) {
  if (token.empty()) return make_error(err::kUnauthenticated);
  const int64_t now = clock_.now_ms();
  auto row = store_.tx([&](Db& db) {
    return db.query_one(
        "SELECT u.id, u.email, u.api_access, u.totp_enabled, u.created_at FROM sessions s "
        "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?",
        {crypto::sha256_hex(token), now});
  });
  if (!row) return make_error(err::kUnauthenticated);
  return user_from_row(*row);
}

Result<User> Accounts::find_by_email(const std::string& email) {
  auto row = store_.read([&](Db& db) {
    return db.query_one(std::string("SELECT ") + kUserColumns + " FROM users WHERE email = ?",
                        {normalize_email(email)});
  });
  if (!row) return make_error(err::kUserNotFound);
  return user_from_row(*row);
}

Result<User> Accounts::find_by_id(int64_t id) {
  auto row = store_.read([&](Db& db) {
    return db.query_one(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?", {id});
  });
  if (!row) return make_error(err::kUserNotFound);
  return user_from_row(*row);
}

std::vector<User> Accounts::list_users() {
  const int64_t now = clock_.now_ms();
  return store_.tx([&](Db& db) {
    std::vector<User> users;
    for (const Row& r : db.query(
             "SELECT u.id, u.email, u.api_access, u.totp_enabled, u.created_at, "
             "COALESCE(a.locked_until, 0) FROM users u LEFT JOIN login_attempts a ON a.email = u.email "
             "ORDER BY u.id")) {
      User u = user_from_row(r);
      u.login_locked = r.int64(5) > now;
      users.push_back(std::move(u));
    }
    return users;
  });
}

std::vector<int64_t> Accounts::users_without_api_access() {
  return store_.tx([](Db& db) {
    std::vector<int64_t> ids;
    for (const Row& r : db.query("SELECT id FROM users WHERE api_access = 0")) ids.push_back(r.int64(0));
    return ids;
  });
}

Status Accounts::set_api_access(const std::string& email, bool on) {
  const int64_t now = clock_.now_ms();
  int64_t changed = store_.tx([&](Db& db) {
    return db.exec("UPDATE users SET api_access = ?, updated_at = ? WHERE email = ?",
                   {int64_t{on ? 1 : 0}, now, normalize_email(email)});
  });
  if (changed == 0) return make_error(err::kUserNotFound);
  spdlog::info("event=api_access_set on={}", on);
  return ok_status();
}

Status Accounts::unlock(const std::string& email_in) {
  const std::string email = normalize_email(email_in);
  int64_t changed = store_.tx([&](Db& db) {
    db.exec("DELETE FROM login_attempts WHERE email = ?", {email});
    return db.exec("UPDATE users SET totp_failures = 0, totp_locked_until = 0 WHERE email = ?", {email});
  });
  if (changed == 0) return make_error(err::kUserNotFound);
  return ok_status();
}

}  // namespace kg::accounts
