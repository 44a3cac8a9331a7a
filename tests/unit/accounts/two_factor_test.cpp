// TOTP two-factor authentication against every backend: setup, enable, one use per code,
// lockout after wrong codes, disable.

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "accounts/accounts.hpp"
#include "crypto/encoding.hpp"
#include "crypto/totp.hpp"
#include "support/accounts_fixture.hpp"

namespace kg::accounts {
namespace {

using test::Backends;

constexpr const char* kEmail = "alice@example.com";
constexpr const char* kPassword = "correct horse battery";

template <typename Backend>
class TwoFactorTest : public AccountsFixture<Backend> {
 protected:
  void SetUp() override {
    AccountsFixture<Backend>::SetUp();
    if (this->IsSkipped()) return;
    user_ = this->signup(kEmail, kPassword);
  }

  // Sets up and enables 2FA with the current code; returns the seed.
  std::string enable() {
    auto setup = this->accounts_->totp_setup(user_.id);
    EXPECT_TRUE(setup.ok());
    if (!setup.ok()) return "";
    const std::string seed = this->seed_of(*setup);
    auto enabled = this->accounts_->totp_enable(user_.id, this->code_now(seed));
    EXPECT_TRUE(enabled.ok()) << (enabled.ok() ? "" : enabled.error().msg);
    return seed;
  }
  Result<Session> login(const std::optional<std::string>& code) {
    return this->accounts_->login(kEmail, kPassword, code, "127.0.0.1");
  }

  User user_;
};

TYPED_TEST_SUITE(TwoFactorTest, Backends);

TYPED_TEST(TwoFactorTest, SetupReturnsSecretUriAndQrCode) {
  auto setup = this->accounts_->totp_setup(this->user_.id);
  ASSERT_TRUE(setup.ok()) << setup.error().msg;
  const std::string& secret = setup->secret_base32;
  EXPECT_EQ(secret.size(), 32u);
  EXPECT_EQ(secret.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), std::string::npos)
      << secret;
  EXPECT_EQ(this->seed_of(*setup).size(), 20u);
  EXPECT_EQ(setup->otpauth_uri, "otpauth://totp/keygate:alice@example.com?secret=" + secret +
                                    "&issuer=keygate&algorithm=SHA1&digits=6&period=30");
  EXPECT_TRUE(setup->qr_svg.starts_with("<svg")) << setup->qr_svg.substr(0, 40);
  EXPECT_TRUE(setup->qr_svg.ends_with("</svg>"));
  EXPECT_NE(setup->qr_svg.find("<path"), std::string::npos);
  // Not enabled until a code confirms it.
  EXPECT_FALSE(this->accounts_->find_by_email(kEmail)->totp_enabled);
  EXPECT_TRUE(this->login(std::nullopt).ok());
}

TYPED_TEST(TwoFactorTest, EachSetupHasANewSecret) {
  auto a = this->accounts_->totp_setup(this->user_.id);
  auto b = this->accounts_->totp_setup(this->user_.id);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->secret_base32, b->secret_base32);
  // Only the latest setup can be confirmed.
  const std::string old_code = this->code_now(this->seed_of(*a));
  if (!crypto::totp_match(this->seed_of(*b), old_code, this->clock_.now_s())) {
    this->expect_error(this->accounts_->totp_enable(this->user_.id, old_code), -7201);
  }
  EXPECT_TRUE(this->accounts_->totp_enable(this->user_.id, this->code_now(this->seed_of(*b))).ok());
}

TYPED_TEST(TwoFactorTest, SeedIsStoredSealed) {
  auto setup = this->accounts_->totp_setup(this->user_.id);
  ASSERT_TRUE(setup.ok());
  const std::string seed = this->seed_of(*setup);
  ASSERT_TRUE(this->accounts_->totp_enable(this->user_.id, this->code_now(seed)).ok());
  auto row = this->store_->tx([&](store::Db& db) {
    return db.query_one("SELECT totp_sealed, totp_pending_sealed FROM users WHERE id = ?",
                        {this->user_.id});
  });
  ASSERT_TRUE(row.has_value());
  const std::string sealed = row->text(0);
  EXPECT_TRUE(sealed.starts_with("v1:")) << sealed;
  EXPECT_EQ(sealed.find(setup->secret_base32), std::string::npos);
  EXPECT_EQ(sealed.find(crypto::to_base64(seed).substr(0, 20)), std::string::npos);
  EXPECT_EQ(sealed.find(crypto::to_hex(seed)), std::string::npos);
  EXPECT_TRUE(row->is_null(1));  // the pending seed is gone
  EXPECT_EQ(this->sealer_.unseal(sealed, "totp:" + std::to_string(this->user_.id)), seed);
}

TYPED_TEST(TwoFactorTest, EnableNeedsTheRightCode) {
  auto setup = this->accounts_->totp_setup(this->user_.id);
  ASSERT_TRUE(setup.ok());
  const std::string seed = this->seed_of(*setup);
  auto wrong = this->accounts_->totp_enable(this->user_.id, this->wrong_code(seed));
  this->expect_error(wrong, -7201);
  EXPECT_EQ(wrong.error().http, 401);
  this->expect_error(this->accounts_->totp_enable(this->user_.id, "abcdef"), -7201);
  this->expect_error(this->accounts_->totp_enable(this->user_.id, ""), -7201);
  EXPECT_FALSE(this->accounts_->find_by_email(kEmail)->totp_enabled);

  const std::string code = crypto::totp_code(seed, this->clock_.now_s());
  ASSERT_TRUE(this->accounts_->totp_enable(this->user_.id, code).ok());
  EXPECT_TRUE(this->accounts_->find_by_email(kEmail)->totp_enabled);
  // Enabled once: setup and enable again are refused.
  this->expect_error(this->accounts_->totp_setup(this->user_.id), -7203);
  this->clock_.advance_ms(30'000);
  this->expect_error(this->accounts_->totp_enable(this->user_.id, this->code_now(seed)), -7203);
}

TYPED_TEST(TwoFactorTest, EnableWithoutSetupIsRefused) {
  this->expect_error(this->accounts_->totp_enable(this->user_.id, "123456"), -7205);
}

TYPED_TEST(TwoFactorTest, LoginNeedsACodeOnceEnabled) {
  this->enable();
  auto none = this->login(std::nullopt);
  this->expect_error(none, -7200);
  EXPECT_EQ(none.error().http, 401);
  this->expect_error(this->login(std::string()), -7200);
  // The password is still checked first.
  this->expect_error(this->accounts_->login(kEmail, "wrong password", std::nullopt, "ip"), -7101);
}

TYPED_TEST(TwoFactorTest, EachCodeWorksOnce) {
  const std::string seed = this->enable();
  // The code used to enable cannot be replayed.
  this->expect_error(this->login(this->code_now(seed)), -7201);
  // The next step's code works once.
  this->clock_.advance_ms(30'000);
  const std::string next = this->code_now(seed);
  auto session = this->login(next);
  ASSERT_TRUE(session.ok()) << session.error().msg;
  EXPECT_TRUE(this->accounts_->authenticate(session->token).ok());
  this->expect_error(this->login(next), -7201);
  // Nor can an older (still in-window) code be used after a newer one.
  this->clock_.advance_ms(30'000);
  ASSERT_TRUE(
      crypto::totp_match(seed, next, this->clock_.now_s()).has_value());  // still in the window
  this->expect_error(this->login(next), -7201);
  EXPECT_TRUE(this->login(this->code_now(seed)).ok());
}

TYPED_TEST(TwoFactorTest, CodeOfTheNextStepIsAcceptedEarly) {
  const std::string seed = this->enable();
  const std::string ahead = crypto::totp_code(seed, this->clock_.now_s() + 30);
  EXPECT_TRUE(this->login(ahead).ok());
  // ...and then the current step's code is older than the last one used.
  this->clock_.advance_ms(30'000);
  this->expect_error(this->login(this->code_now(seed)), -7201);
}

TYPED_TEST(TwoFactorTest, WrongCodesLockTwoFactorChecks) {
  const std::string seed = this->enable();
  this->clock_.advance_ms(30'000);
  const std::string right = this->code_now(seed);
  const std::string wrong = this->wrong_code(seed);
  for (int i = 0; i < 10; ++i) this->expect_error(this->login(wrong), -7201);
  auto locked = this->login(right);
  this->expect_error(locked, -7202);
  EXPECT_EQ(locked.error().http, 429);
  EXPECT_EQ(locked.error().msg, "Too many wrong two-factor codes; try again in 900 seconds.");
  this->expect_error(this->accounts_->check_totp(this->user_.id, right), -7202);
  this->expect_error(this->accounts_->totp_disable(this->user_.id, right), -7202);
  // The password lock is separate: wrong codes do not count as failed logins.
  EXPECT_FALSE(this->accounts_->list_users().at(0).login_locked);

  ASSERT_TRUE(this->accounts_->unlock(kEmail).ok());
  EXPECT_TRUE(this->login(right).ok());
}

TYPED_TEST(TwoFactorTest, TheTwoFactorLockLiftsAfterTotpLockSeconds) {
  const std::string seed = this->enable();
  for (int i = 0; i < 10; ++i) {
    this->expect_error(this->accounts_->check_totp(this->user_.id, this->wrong_code(seed)), -7201);
  }
  this->clock_.advance_ms(900'000 - 1'000);
  this->expect_error(this->accounts_->check_totp(this->user_.id, this->code_now(seed)), -7202);
  this->clock_.advance_ms(1'000);
  EXPECT_TRUE(this->accounts_->check_totp(this->user_.id, this->code_now(seed)).ok());
}

TYPED_TEST(TwoFactorTest, NineWrongCodesDoNotLock) {
  const std::string seed = this->enable();
  this->clock_.advance_ms(30'000);
  for (int i = 0; i < 9; ++i) this->expect_error(this->login(this->wrong_code(seed)), -7201);
  EXPECT_TRUE(this->login(this->code_now(seed)).ok());
}

TYPED_TEST(TwoFactorTest, CheckTotpConsumesTheCode) {
  const std::string seed = this->enable();
  this->clock_.advance_ms(30'000);
  const std::string code = this->code_now(seed);
  EXPECT_TRUE(this->accounts_->check_totp(this->user_.id, code).ok());
  this->expect_error(this->accounts_->check_totp(this->user_.id, code), -7201);
  this->expect_error(this->login(code), -7201);
}

TYPED_TEST(TwoFactorTest, CheckAndDisableNeedTwoFactorEnabled) {
  this->expect_error(this->accounts_->check_totp(this->user_.id, "123456"), -7204);
  this->expect_error(this->accounts_->totp_disable(this->user_.id, "123456"), -7204);
}

TYPED_TEST(TwoFactorTest, DisableWithAFreshCode) {
  const std::string seed = this->enable();
  // The enable code is not fresh.
  this->expect_error(this->accounts_->totp_disable(this->user_.id, this->code_now(seed)), -7201);
  this->expect_error(this->accounts_->totp_disable(this->user_.id, this->wrong_code(seed)), -7201);
  EXPECT_TRUE(this->accounts_->find_by_email(kEmail)->totp_enabled);

  this->clock_.advance_ms(30'000);
  ASSERT_TRUE(this->accounts_->totp_disable(this->user_.id, this->code_now(seed)).ok());
  EXPECT_FALSE(this->accounts_->find_by_email(kEmail)->totp_enabled);
  auto session = this->login(std::nullopt);
  EXPECT_TRUE(session.ok()) << (session.ok() ? "" : session.error().msg);
  // It can be set up again, with a new secret.
  auto again = this->accounts_->totp_setup(this->user_.id);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(this->seed_of(*again), seed);
}

TYPED_TEST(TwoFactorTest, ReEnableRightAfterDisableAcceptsTheNewSecretsCode) {
  const std::string old_seed = this->enable();
  this->clock_.advance_ms(30'000);
  ASSERT_TRUE(this->accounts_->totp_disable(this->user_.id, this->code_now(old_seed)).ok());
  // Within the same 30 s step, a new secret's current code has never been used: it must work.
  auto setup = this->accounts_->totp_setup(this->user_.id);
  ASSERT_TRUE(setup.ok());
  auto enabled =
      this->accounts_->totp_enable(this->user_.id, this->code_now(this->seed_of(*setup)));
  EXPECT_TRUE(enabled.ok()) << (enabled.ok() ? "" : enabled.error().msg);
}

}  // namespace
}  // namespace kg::accounts
