// Accounts against every backend: sign-up, login, lockout, sessions, operator actions.

#include "accounts/accounts.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "crypto/hash.hpp"
#include "support/accounts_fixture.hpp"

namespace kg::accounts {
namespace {

using test::Backends;

template <typename Backend>
using AccountsTest = AccountsFixture<Backend>;
TYPED_TEST_SUITE(AccountsTest, Backends);

constexpr const char* kPassword = "correct horse battery";

TYPED_TEST(AccountsTest, SignupNormalisesTheEmail) {
  auto user = this->accounts_->signup("  Alice@Example.COM \t", kPassword);
  ASSERT_TRUE(user.ok()) << user.error().msg;
  EXPECT_EQ(user->email, "alice@example.com");
  EXPECT_GT(user->id, 0);
  EXPECT_TRUE(user->api_access);
  EXPECT_FALSE(user->totp_enabled);
  EXPECT_EQ(user->created_at, this->clock_.now_ms());

  auto found = this->accounts_->find_by_email("ALICE@example.com ");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, user->id);
  EXPECT_EQ(found->email, "alice@example.com");
  auto session = this->accounts_->login(" alice@EXAMPLE.com", kPassword, std::nullopt, "127.0.0.1");
  EXPECT_TRUE(session.ok());
}

TYPED_TEST(AccountsTest, SignupStoresOnlyAnArgon2idHash) {
  this->signup("alice@example.com", kPassword);
  const std::string hash = this->store_->tx([](store::Db& db) {
    return db
        .query_one("SELECT password_hash FROM users WHERE email = ?",
                   {std::string("alice@example.com")})
        ->text(0);
  });
  EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
  EXPECT_EQ(hash.find(kPassword), std::string::npos);
}

TYPED_TEST(AccountsTest, DuplicateEmailIsRefused) {
  this->signup("alice@example.com", kPassword);
  auto again = this->accounts_->signup(" ALICE@example.com", "another password");
  this->expect_error(again, -7103);
  EXPECT_EQ(again.error().http, 409);
  EXPECT_EQ(this->accounts_->list_users().size(), 1u);
}

TYPED_TEST(AccountsTest, InvalidEmailIsRefused) {
  for (const char* email : {"", "   ", "alice", "alice@", "@example.com", "alice@example",
                            "alice@@example.com", "a@b@example.com", "alice@example.", "alice@.com",
                            "alice@example..com", "al ice@example.com", "alice<x>@example.com"}) {
    auto user = this->accounts_->signup(email, kPassword);
    ASSERT_FALSE(user.ok()) << '"' << email << '"';
    EXPECT_EQ(user.error().code, -7104) << '"' << email << '"';
    EXPECT_EQ(user.error().msg, "Invalid email address.");
  }
  EXPECT_TRUE(this->accounts_->list_users().empty());
}

TYPED_TEST(AccountsTest, PasswordLengthIsCountedInCodePoints) {
  auto short_ascii = this->accounts_->signup("a@example.com", "123456789");
  this->expect_error(short_ascii, -7105);
  EXPECT_EQ(short_ascii.error().msg, "Password must be 10 to 128 characters long.");
  EXPECT_EQ(short_ascii.error().http, 400);
  EXPECT_TRUE(this->accounts_->signup("b@example.com", "1234567890").ok());

  std::string nine_e, ten_e;
  for (int i = 0; i < 9; ++i) nine_e += "é";  // 2 bytes each
  ten_e = nine_e + "é";
  this->expect_error(this->accounts_->signup("c@example.com", nine_e), -7105);  // 18 bytes, 9 chars
  auto ten = this->accounts_->signup("d@example.com", ten_e);
  ASSERT_TRUE(ten.ok()) << ten.error().msg;
  EXPECT_TRUE(this->accounts_->login("d@example.com", ten_e, std::nullopt, "ip").ok());

  EXPECT_TRUE(this->accounts_->signup("e@example.com", std::string(128, 'x')).ok());
  this->expect_error(this->accounts_->signup("f@example.com", std::string(129, 'x')), -7105);
  // 128 four-byte characters (512 bytes) are still 128 characters.
  std::string emoji;
  for (int i = 0; i < 128; ++i) emoji += "🔑";
  EXPECT_TRUE(this->accounts_->signup("g@example.com", emoji).ok());
}

TYPED_TEST(AccountsTest, LoginWithTheRightPassword) {
  const User user = this->signup("alice@example.com", kPassword);
  auto session = this->accounts_->login("alice@example.com", kPassword, std::nullopt, "10.0.0.1");
  ASSERT_TRUE(session.ok()) << session.error().msg;
  EXPECT_TRUE(session->token.starts_with("kgs_")) << session->token;
  EXPECT_EQ(session->token.size(), 4u + 64u);
  EXPECT_EQ(session->expires_at, this->clock_.now_ms() + 24 * 3600 * 1000);
  EXPECT_EQ(session->user.id, user.id);
  EXPECT_EQ(session->user.email, "alice@example.com");

  // Only the token's hash is stored.
  const std::string token = session->token;
  auto stored = this->store_->tx([&](store::Db& db) {
    return db.query_one("SELECT token_hash, ip FROM sessions WHERE user_id = ?", {user.id});
  });
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->text(0), crypto::sha256_hex(token));
  EXPECT_EQ(stored->text(1), "10.0.0.1");

  auto second = this->accounts_->login("alice@example.com", kPassword, std::nullopt, "10.0.0.1");
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->token, session->token);
}

TYPED_TEST(AccountsTest, LoginWithAWrongPassword) {
  this->signup("alice@example.com", kPassword);
  auto session = this->accounts_->login("alice@example.com", "wrong password", std::nullopt, "ip");
  this->expect_error(session, -7101);
  EXPECT_EQ(session.error().http, 401);
  this->expect_error(this->accounts_->login("alice@example.com", "", std::nullopt, "ip"), -7101);
}

TYPED_TEST(AccountsTest, UnknownEmailAnswersExactlyLikeAWrongPassword) {
  this->signup("alice@example.com", kPassword);
  auto wrong = this->accounts_->login("alice@example.com", "wrong password", std::nullopt, "ip");
  auto unknown = this->accounts_->login("nobody@example.com", kPassword, std::nullopt, "ip");
  ASSERT_FALSE(wrong.ok());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, wrong.error().code);
  EXPECT_EQ(unknown.error().http, wrong.error().http);
  EXPECT_EQ(unknown.error().msg, wrong.error().msg);
  EXPECT_EQ(unknown.error().code, -7101);
}

TYPED_TEST(AccountsTest, FiveFailuresLockTheLogin) {
  this->signup("alice@example.com", kPassword);
  for (int i = 0; i < 5; ++i) {
    this->expect_error(
        this->accounts_->login("alice@example.com", "wrong password", std::nullopt, "ip"), -7101);
  }
  // Locked: even the right password is refused, with the time left.
  auto locked = this->accounts_->login("alice@example.com", kPassword, std::nullopt, "ip");
  this->expect_error(locked, -7102);
  EXPECT_EQ(locked.error().http, 429);
  EXPECT_EQ(locked.error().msg, "Too many failed login attempts; try again in 900 seconds.");
  // Another account is not affected.
  this->signup("bob@example.com", kPassword);
  EXPECT_TRUE(this->accounts_->login("bob@example.com", kPassword, std::nullopt, "ip").ok());
}

TYPED_TEST(AccountsTest, FourFailuresDoNotLockAndASuccessResetsTheCount) {
  this->signup("alice@example.com", kPassword);
  for (int i = 0; i < 4; ++i) {
    (void)this->accounts_->login("alice@example.com", "wrong password", std::nullopt, "ip");
  }
  ASSERT_TRUE(this->accounts_->login("alice@example.com", kPassword, std::nullopt, "ip").ok());
  for (int i = 0; i < 4; ++i) {
    (void)this->accounts_->login("alice@example.com", "wrong password", std::nullopt, "ip");
  }
  EXPECT_TRUE(this->accounts_->login("alice@example.com", kPassword, std::nullopt, "ip").ok());
}

TYPED_TEST(AccountsTest, UnknownEmailsAreLockedTheSameWay) {
  for (int i = 0; i < 5; ++i) {
    this->expect_error(this->accounts_->login("ghost@example.com", kPassword, std::nullopt, "ip"),
                       -7101);
  }
  auto locked = this->accounts_->login("ghost@example.com", kPassword, std::nullopt, "ip");
  this->expect_error(locked, -7102);
  EXPECT_EQ(locked.error().msg, "Too many failed login attempts; try again in 900 seconds.");
  // Case and spaces do not give a fresh counter.
  this->expect_error(this->accounts_->login(" GHOST@example.com", kPassword, std::nullopt, "ip"),
                     -7102);
}

TYPED_TEST(AccountsTest, TheLockLiftsAfterLoginLockSeconds) {
  this->signup("alice@example.com", kPassword);
  for (int i = 0; i < 5; ++i) {
    (void)this->accounts_->login("alice@example.com", "wrong password", std::nullopt, "ip");
  }
  this->clock_.advance_ms(900'000 - 1'000);
  auto still = this->accounts_->login("alice@example.com", kPassword, std::nullopt, "ip");
  this->expect_error(still, -7102);
  EXPECT_EQ(still.error().msg, "Too many failed login attempts; try again in 1 seconds.");
  this->clock_.advance_ms(1'000);
  auto session = this->accounts_->login("alice@example.com", kPassword, std::nullopt, "ip");
  EXPECT_TRUE(session.ok()) << (session.ok() ? "" : session.error().msg);
}

TYPED_TEST(AccountsTest, UnlockLiftsTheLock) {
  this->signup("alice@example.com", kPassword);
  for (int i = 0; i < 5; ++i) {
    (void)this->accounts_->login("alice@example.com", "wrong password", std::nullopt, "ip");
  }
  this->expect_error(this->accounts_->login("alice@example.com", kPassword, std::nullopt, "ip"),
                     -7102);
  EXPECT_TRUE(this->accounts_->unlock("ALICE@example.com").ok());
  EXPECT_TRUE(this->accounts_->login("alice@example.com", kPassword, std::nullopt, "ip").ok());
  this->expect_error(this->accounts_->unlock("nobody@example.com"), -7106);
}

TYPED_TEST(AccountsTest, AuthenticateWithTheSessionToken) {
  const User user = this->signup("alice@example.com", kPassword);
  auto session = this->accounts_->login("alice@example.com", kPassword, std::nullopt, "ip");
  ASSERT_TRUE(session.ok());
  auto who = this->accounts_->authenticate(session->token);
  ASSERT_TRUE(who.ok()) << who.error().msg;
  EXPECT_EQ(who->id, user.id);
  EXPECT_EQ(who->email, "alice@example.com");

  auto empty = this->accounts_->authenticate("");
  this->expect_error(empty, -7100);
  EXPECT_EQ(empty.error().http, 401);
  this->expect_error(this->accounts_->authenticate("kgs_" + std::string(64, '0')), -7100);
  this->expect_error(this->accounts_->authenticate(session->token + "0"), -7100);
  // The stored hash is not a token.
  this->expect_error(this->accounts_->authenticate(crypto::sha256_hex(session->token)), -7100);
}

TYPED_TEST(AccountsTest, SessionsExpireAfterTheirTtl) {
  this->signup("alice@example.com", kPassword);
  auto session = this->accounts_->login("alice@example.com", kPassword, std::nullopt, "ip");
  ASSERT_TRUE(session.ok());
  this->clock_.advance_ms(24 * 3600 * 1000 - 1);
  EXPECT_TRUE(this->accounts_->authenticate(session->token).ok());
  this->clock_.advance_ms(1);
  this->expect_error(this->accounts_->authenticate(session->token), -7100);
  this->clock_.advance_ms(3600 * 1000);
  this->expect_error(this->accounts_->authenticate(session->token), -7100);
}

TYPED_TEST(AccountsTest, LogoutInvalidatesOnlyThatSession) {
  this->signup("alice@example.com", kPassword);
  auto a = this->accounts_->login("alice@example.com", kPassword, std::nullopt, "ip");
  auto b = this->accounts_->login("alice@example.com", kPassword, std::nullopt, "ip");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  this->accounts_->logout(a->token);
  this->expect_error(this->accounts_->authenticate(a->token), -7100);
  EXPECT_TRUE(this->accounts_->authenticate(b->token).ok());
  this->accounts_->logout(a->token);  // twice is harmless
  this->accounts_->logout("kgs_unknown");
  EXPECT_TRUE(this->accounts_->authenticate(b->token).ok());
}

TYPED_TEST(AccountsTest, SetApiAccessIsReflectedByFindByEmail) {
  this->signup("alice@example.com", kPassword);
  ASSERT_TRUE(this->accounts_->set_api_access("Alice@Example.com", false).ok());
  auto off = this->accounts_->find_by_email("alice@example.com");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->api_access);
  auto session = this->accounts_->login("alice@example.com", kPassword, std::nullopt, "ip");
  ASSERT_TRUE(session.ok());
  EXPECT_FALSE(session->user.api_access);
  EXPECT_FALSE(this->accounts_->authenticate(session->token)->api_access);

  ASSERT_TRUE(this->accounts_->set_api_access("alice@example.com", true).ok());
  EXPECT_TRUE(this->accounts_->find_by_email("alice@example.com")->api_access);
  EXPECT_TRUE(this->accounts_->authenticate(session->token)->api_access);

  auto missing = this->accounts_->set_api_access("nobody@example.com", false);
  this->expect_error(missing, -7106);
  EXPECT_EQ(missing.error().http, 404);
}

TYPED_TEST(AccountsTest, FindByEmailOfAnUnknownUser) {
  this->expect_error(this->accounts_->find_by_email("nobody@example.com"), -7106);
}

TYPED_TEST(AccountsTest, ListUsersShowsLoginLocks) {
  EXPECT_TRUE(this->accounts_->list_users().empty());
  const User alice = this->signup("alice@example.com", kPassword);
  const User bob = this->signup("bob@example.com", kPassword);
  for (int i = 0; i < 5; ++i) {
    (void)this->accounts_->login("bob@example.com", "wrong password", std::nullopt, "ip");
  }
  (void)this->accounts_->login("alice@example.com", "wrong password", std::nullopt, "ip");

  auto users = this->accounts_->list_users();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].id, alice.id);
  EXPECT_EQ(users[0].email, "alice@example.com");
  EXPECT_FALSE(users[0].login_locked);
  EXPECT_EQ(users[1].id, bob.id);
  EXPECT_TRUE(users[1].login_locked);

  this->clock_.advance_ms(900'000);
  users = this->accounts_->list_users();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_FALSE(users[1].login_locked);
}

TYPED_TEST(AccountsTest, ListUsersAfterUnlock) {
  this->signup("bob@example.com", kPassword);
  for (int i = 0; i < 5; ++i) {
    (void)this->accounts_->login("bob@example.com", "wrong password", std::nullopt, "ip");
  }
  ASSERT_TRUE(this->accounts_->list_users().at(0).login_locked);
  ASSERT_TRUE(this->accounts_->unlock("bob@example.com").ok());
  EXPECT_FALSE(this->accounts_->list_users().at(0).login_locked);
}

}  // namespace
}  // namespace kg::accounts
