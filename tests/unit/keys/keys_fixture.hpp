#pragma once
// A KeyService on a freshly migrated store of the given backend, with a manual clock, two users
// (alice and bob) and a TOTP check that accepts only "123456" and counts its calls.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "crypto/encoding.hpp"
#include "crypto/sealer.hpp"
#include "keys/key_index.hpp"
#include "keys/key_service.hpp"
#include "store/store.hpp"
#include "support/backends.hpp"

namespace kg::keys::test {

inline constexpr const char* kGoodCode = "123456";

// RFC 8032 §7.1 TEST 1: public key as an SPKI PEM, the secret seed, an empty message's signature.
inline constexpr const char* kEd25519Pem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n";
inline constexpr const char* kEd25519SeedHex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
inline constexpr const char* kEd25519EmptySigHex =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24"
    "655141438e7a100b";

inline std::array<unsigned char, crypto::kMasterKeySize> master_key(unsigned char salt = 1) {
  std::array<unsigned char, crypto::kMasterKeySize> key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(i * 13 + salt);
  return key;
}

template <typename Backend>
class KeysFixture : public ::testing::Test {
 protected:
  static constexpr int64_t kStartMs = 1'700'000'000'000;

  void SetUp() override {
    if (auto why = Backend::skip_reason()) GTEST_SKIP() << *why;
    backend_ = std::make_unique<Backend>();
    store_ = std::make_unique<store::Store>(backend_->open());
    store_->migrate();
    service_ = make_service(index_);
    alice_ = add_user("alice@example.com");
    bob_ = add_user("bob@example.com");
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    backend_.reset();
  }

  std::unique_ptr<KeyService> make_service(KeyIndex& index, KeyPolicy policy = {},
                                           const crypto::Sealer* sealer = nullptr) {
    return std::make_unique<KeyService>(*store_, sealer ? *sealer : sealer_, clock_, index, policy,
                                        [this](int64_t user_id, const std::string& code) -> Status {
                                          ++totp_calls_;
                                          totp_users_.push_back(user_id);
                                          if (code == kGoodCode) return ok_status();
                                          return make_error(err::kTotpInvalid);
                                        });
  }

  int64_t add_user(const std::string& email) {
    return store_->tx([&](store::Db& db) {
      return db
          .query_one("INSERT INTO users (email, password_hash, created_at, updated_at) VALUES (?, 'x', ?, ?) "
                     "RETURNING id",
                     {email, kStartMs, kStartMs})
          ->int64(0);
    });
  }

  Owner owner(int64_t user_id) const { return Owner{user_id, true, true}; }

  static NewKey hmac_request(std::vector<std::string> permissions = {"READ"}) {
    NewKey r;
    r.label = "bot";
    r.permissions = std::move(permissions);
    r.allow_all_ips = true;
    return r;
  }

  IssuedKey create_ok(int64_t user_id, const NewKey& request) {
    auto issued = service_->create(owner(user_id), request, kGoodCode);
    EXPECT_TRUE(issued.ok()) << (issued.ok() ? "" : issued.error().msg);
    return issued.ok() ? *issued : IssuedKey{};
  }
  IssuedKey create_ok(int64_t user_id) { return create_ok(user_id, hmac_request()); }

  Status relabel(int64_t user_id, const std::string& api_key, const std::string& label) {
    return service_->update(user_id, api_key, std::nullopt, label, std::nullopt);
  }

  template <typename T>
  static void expect_error(const Result<T>& result, int code) {
    ASSERT_FALSE(result.ok()) << "expected error " << code << ", got success";
    EXPECT_EQ(result.error().code, code) << result.error().msg;
  }

  std::optional<store::Row> stored(const std::string& api_key, const std::string& columns) {
    return store_->tx([&](store::Db& db) {
      return db.query_one("SELECT " + columns + " FROM api_keys WHERE api_key = ?", {api_key});
    });
  }
  int64_t count_keys() {
    return store_->tx([](store::Db& db) { return db.query_one("SELECT COUNT(*) FROM api_keys")->int64(0); });
  }

  ManualClock clock_{kStartMs};
  crypto::Sealer sealer_{master_key()};
  KeyIndex index_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<KeyService> service_;
  int64_t alice_ = 0;
  int64_t bob_ = 0;
  int totp_calls_ = 0;
  std::vector<int64_t> totp_users_;
};

}  // namespace kg::keys::test
