#pragma once
// An Accounts service on a freshly migrated store of the given backend, with a manual clock and
// fast Argon2id parameters.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "accounts/accounts.hpp"
#include "common/clock.hpp"
#include "crypto/encoding.hpp"
#include "crypto/sealer.hpp"
#include "crypto/totp.hpp"
#include "store/store.hpp"
#include "support/backends.hpp"

namespace kg::accounts {

template <typename Backend>
class AccountsFixture : public ::testing::Test {
 protected:
  // 5 s into a 30 s TOTP step (1'700'000'010 is a multiple of 30).
  static constexpr int64_t kStartMs = 1'700'000'015'000;

  static AccountsConfig fast_config() {
    AccountsConfig config;
    config.argon2 = {1, 1024, 1};
    return config;
  }
  static std::array<unsigned char, crypto::kMasterKeySize> master_key() {
    std::array<unsigned char, crypto::kMasterKeySize> key{};
    for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(i * 7 + 1);
    return key;
  }

  void SetUp() override {
    if (auto why = Backend::skip_reason()) GTEST_SKIP() << *why;
    backend_ = std::make_unique<Backend>();
    store_ = std::make_unique<store::Store>(backend_->open());
    store_->migrate();
    accounts_ = std::make_unique<Accounts>(*store_, sealer_, clock_, fast_config());
  }
  void TearDown() override {
    accounts_.reset();
    store_.reset();
    backend_.reset();
  }

  User signup(const std::string& email, const std::string& password) {
    auto user = accounts_->signup(email, password);
    EXPECT_TRUE(user.ok()) << (user.ok() ? "" : user.error().msg);
    return user.ok() ? *user : User{};
  }

  template <typename T>
  void expect_error(const Result<T>& result, int code) {
    ASSERT_FALSE(result.ok()) << "expected error " << code << ", got success";
    EXPECT_EQ(result.error().code, code) << result.error().msg;
  }

  // The raw seed behind a setup's base32 secret.
  static std::string seed_of(const TotpSetup& setup) {
    auto seed = crypto::from_base32(setup.secret_base32);
    EXPECT_TRUE(seed.has_value()) << setup.secret_base32;
    return seed.value_or("");
  }
  std::string code_now(const std::string& seed) const {
    return crypto::totp_code(seed, clock_.now_s());
  }
  // A well-formed code that matches none of the steps accepted now.
  std::string wrong_code(const std::string& seed) const {
    for (int i = 0;; ++i) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%06d", (i * 7919) % 1'000'000);
      if (!crypto::totp_match(seed, buf, clock_.now_s())) return buf;
    }
  }

  ManualClock clock_{kStartMs};
  crypto::Sealer sealer_{master_key()};
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Accounts> accounts_;
};

}  // namespace kg::accounts
