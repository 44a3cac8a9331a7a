#include "crypto/password.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kg::crypto {
namespace {

constexpr Argon2Params kFast{1, 1024, 1};  // tests only: the defaults take tens of milliseconds

TEST(Argon2id, EncodedHashNamesTheAlgorithmAndParameters) {
  const std::string hash = hash_password("correct horse battery staple", kFast);
  EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
  EXPECT_NE(hash.find("m=1024,t=1,p=1"), std::string::npos) << hash;
  EXPECT_EQ(hash.find('\0'), std::string::npos);
  EXPECT_EQ(hash.find("correct horse"), std::string::npos);
}

TEST(Argon2id, VerifiesTheRightPasswordOnly) {
  const std::string hash = hash_password("correct horse battery staple", kFast);
  EXPECT_TRUE(verify_password(hash, "correct horse battery staple"));
  EXPECT_FALSE(verify_password(hash, "correct horse battery stapl"));
  EXPECT_FALSE(verify_password(hash, "Correct horse battery staple"));
  EXPECT_FALSE(verify_password(hash, ""));
}

TEST(Argon2id, SaltsEachHash) {
  const std::string a = hash_password("same password", kFast);
  const std::string b = hash_password("same password", kFast);
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password(a, "same password"));
  EXPECT_TRUE(verify_password(b, "same password"));
}

TEST(Argon2id, PasswordsWithNulBytesAndUnicode) {
  const std::string with_nul("pass\0word", 9);
  const std::string hash = hash_password(with_nul, kFast);
  EXPECT_TRUE(verify_password(hash, with_nul));
  EXPECT_FALSE(verify_password(hash, "pass"));
  const std::string unicode = "pässwörd-密码-🔑";
  EXPECT_TRUE(verify_password(hash_password(unicode, kFast), unicode));
}

TEST(Argon2id, GarbageEncodingDoesNotVerify) {
  EXPECT_FALSE(verify_password("", "x"));
  EXPECT_FALSE(verify_password("not a hash", "not a hash"));
  const std::string hash = hash_password("pw", kFast);
  EXPECT_FALSE(verify_password(hash.substr(0, hash.size() - 4), "pw"));
  // An argon2i hash is not accepted where argon2id is expected.
  std::string other = hash;
  other.replace(0, 10, "$argon2i$");
  EXPECT_FALSE(verify_password(other, "pw"));
}

TEST(Argon2id, DefaultParametersAreOwaspsRecommendation) {
  const std::string hash = hash_password("correct horse battery staple");
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << hash;
  EXPECT_TRUE(verify_password(hash, "correct horse battery staple"));
  EXPECT_FALSE(verify_password(hash, "wrong"));
}

}  // namespace
}  // namespace kg::crypto
