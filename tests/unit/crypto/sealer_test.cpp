#include "crypto/sealer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <stdexcept>
#include <string>

#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

namespace kg::crypto {
namespace {

std::array<unsigned char, kMasterKeySize> key_filled_with(unsigned char byte) {
  std::array<unsigned char, kMasterKeySize> key{};
  key.fill(byte);
  return key;
}

class SealerTest : public ::testing::Test {
 protected:
  Sealer sealer_{key_filled_with(0x42)};
};

TEST_F(SealerTest, RoundTrip) {
  const std::string sealed = sealer_.seal("totp seed bytes", "totp:1");
  EXPECT_TRUE(sealed.starts_with("v1:")) << sealed;
  EXPECT_EQ(sealer_.unseal(sealed, "totp:1"), std::string("totp seed bytes"));
}

TEST_F(SealerTest, RoundTripOfEmptyAndBinaryPlaintexts) {
  EXPECT_EQ(sealer_.unseal(sealer_.seal("", "c"), "c"), std::string());
  const std::string binary = random_bytes(200) + std::string("\0\0", 2);
  EXPECT_EQ(sealer_.unseal(sealer_.seal(binary, "c"), "c"), binary);
}

TEST_F(SealerTest, AnotherContextDoesNotOpen) {
  const std::string sealed = sealer_.seal("secret", "totp:1");
  EXPECT_EQ(sealer_.unseal(sealed, "totp:2"), std::nullopt);
  EXPECT_EQ(sealer_.unseal(sealed, "totp-pending:1"), std::nullopt);
  EXPECT_EQ(sealer_.unseal(sealed, ""), std::nullopt);
}

TEST_F(SealerTest, AnotherMasterKeyDoesNotOpen) {
  const std::string sealed = sealer_.seal("secret", "totp:1");
  Sealer other(key_filled_with(0x43));
  EXPECT_EQ(other.unseal(sealed, "totp:1"), std::nullopt);
  Sealer same(key_filled_with(0x42));
  EXPECT_EQ(same.unseal(sealed, "totp:1"), std::string("secret"));
}

TEST_F(SealerTest, AnyFlippedByteDoesNotOpen) {
  const std::string sealed = sealer_.seal("secret", "ctx");
  auto envelope = from_base64(std::string_view(sealed).substr(3));
  ASSERT_TRUE(envelope.has_value());
  for (size_t i = 0; i < envelope->size(); ++i) {
    std::string altered = *envelope;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    EXPECT_EQ(sealer_.unseal("v1:" + to_base64(altered), "ctx"), std::nullopt) << "byte " << i;
  }
}

TEST_F(SealerTest, TruncatedOrExtendedEnvelopesDoNotOpen) {
  const std::string sealed = sealer_.seal("secret", "ctx");
  auto envelope = from_base64(std::string_view(sealed).substr(3));
  ASSERT_TRUE(envelope.has_value());
  EXPECT_EQ(sealer_.unseal("v1:" + to_base64(envelope->substr(0, envelope->size() - 1)), "ctx"),
            std::nullopt);
  EXPECT_EQ(sealer_.unseal("v1:" + to_base64(*envelope + "x"), "ctx"), std::nullopt);
  EXPECT_EQ(sealer_.unseal("v1:" + to_base64(envelope->substr(0, 60)), "ctx"), std::nullopt);
}

TEST_F(SealerTest, MalformedTextDoesNotOpen) {
  const std::string sealed = sealer_.seal("secret", "ctx");
  EXPECT_EQ(sealer_.unseal("", "ctx"), std::nullopt);
  EXPECT_EQ(sealer_.unseal("v1:", "ctx"), std::nullopt);
  EXPECT_EQ(sealer_.unseal("v1:!!!!", "ctx"), std::nullopt);
  EXPECT_EQ(sealer_.unseal("v2:" + sealed.substr(3), "ctx"), std::nullopt);
  EXPECT_EQ(sealer_.unseal(sealed.substr(3), "ctx"), std::nullopt);
}

TEST_F(SealerTest, TwoSealsOfTheSamePlaintextDiffer) {
  const std::string a = sealer_.seal("same plaintext", "ctx");
  const std::string b = sealer_.seal("same plaintext", "ctx");
  EXPECT_NE(a, b);
  EXPECT_EQ(sealer_.unseal(a, "ctx"), sealer_.unseal(b, "ctx"));
}

TEST_F(SealerTest, SealedTextDoesNotContainThePlaintext) {
  const std::string plaintext = "THIS-IS-A-VERY-RECOGNISABLE-SECRET-0123456789";
  const std::string sealed = sealer_.seal(plaintext, "ctx");
  EXPECT_EQ(sealed.find(plaintext), std::string::npos);
  EXPECT_EQ(sealed.find("RECOGNISABLE"), std::string::npos);
  EXPECT_EQ(sealed.find(to_base64(plaintext).substr(0, 16)), std::string::npos);
  auto envelope = from_base64(std::string_view(sealed).substr(3));
  ASSERT_TRUE(envelope.has_value());
  EXPECT_EQ(envelope->find("RECOGNISABLE"), std::string::npos);
  // Two wrapped keys + IV + tag around the ciphertext: 60 + 12 + len + 16 bytes.
  EXPECT_EQ(envelope->size(), 60 + 12 + plaintext.size() + 16);
}

TEST(AesGcm, RoundTripAndAssociatedData) {
  const std::string key = random_bytes(32);
  const std::string box = aes_gcm_encrypt(key, "plaintext", "aad");
  EXPECT_EQ(box.size(), 12 + 9 + 16u);
  EXPECT_EQ(aes_gcm_decrypt(key, box, "aad"), std::string("plaintext"));
  EXPECT_EQ(aes_gcm_decrypt(key, box, "aae"), std::nullopt);
  EXPECT_EQ(aes_gcm_decrypt(random_bytes(32), box, "aad"), std::nullopt);
  EXPECT_EQ(aes_gcm_decrypt(key, box.substr(0, 27), "aad"), std::nullopt);
  EXPECT_EQ(aes_gcm_decrypt(key, "", "aad"), std::nullopt);
}

TEST(AesGcm, RefusesKeysOfTheWrongSize) {
  EXPECT_THROW(aes_gcm_encrypt(random_bytes(16), "p", ""), std::invalid_argument);
  const std::string box = aes_gcm_encrypt(random_bytes(32), "p", "");
  EXPECT_EQ(aes_gcm_decrypt(random_bytes(16), box, ""), std::nullopt);
}

}  // namespace
}  // namespace kg::crypto
