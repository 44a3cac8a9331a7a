#include "crypto/encoding.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>

#include "crypto/random.hpp"

namespace kg::crypto {
namespace {

TEST(Hex, EncodesLowercase) {
  EXPECT_EQ(to_hex(""), "");
  EXPECT_EQ(to_hex(std::string("\x00\xff\x10\xab", 4)), "00ff10ab");
  EXPECT_EQ(to_hex("abc"), "616263");
}

TEST(Hex, DecodesEitherCase) {
  EXPECT_EQ(from_hex("00ff10ab"), std::string("\x00\xff\x10\xab", 4));
  EXPECT_EQ(from_hex("00FF10AB"), std::string("\x00\xff\x10\xab", 4));
  EXPECT_EQ(from_hex(""), std::string());
}

TEST(Hex, RefusesInvalidInput) {
  EXPECT_EQ(from_hex("abc"), std::nullopt);  // odd length
  EXPECT_EQ(from_hex("zz"), std::nullopt);
  EXPECT_EQ(from_hex("0g"), std::nullopt);
  EXPECT_EQ(from_hex("00 11"), std::nullopt);
  EXPECT_EQ(from_hex("0x00"), std::nullopt);
  EXPECT_EQ(from_hex("abcd\n"), std::nullopt);
}

TEST(Hex, RoundTrip) {
  for (size_t n = 0; n <= 64; ++n) {
    const std::string bytes = random_bytes(n);
    const std::string hex = to_hex(bytes);
    ASSERT_EQ(hex.size(), 2 * n);
    ASSERT_EQ(from_hex(hex), bytes) << hex;
  }
}

// RFC 4648 section 10.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(to_base64(plain), encoded) << plain;
    EXPECT_EQ(from_base64(encoded), std::string(plain)) << encoded;
  }
}

TEST(Base64, RefusesInvalidInput) {
  EXPECT_EQ(from_base64("Zg="), std::nullopt);  // short padding
  EXPECT_EQ(from_base64("Zg"), std::nullopt);   // padding required
  EXPECT_EQ(from_base64("Zm9v!"), std::nullopt);
  EXPECT_EQ(from_base64("Zm9v Zm9v"), std::nullopt);
  EXPECT_EQ(from_base64("Zm-_"), std::nullopt);  // URL-safe alphabet is another variant
  EXPECT_EQ(from_base64("Zm9vYg==Zg=="), std::nullopt);
}

TEST(Base64, RoundTrip) {
  for (size_t n = 0; n <= 64; ++n) {
    const std::string bytes = random_bytes(n);
    const std::string text = to_base64(bytes);
    ASSERT_EQ(text.size() % 4, 0u);
    ASSERT_EQ(from_base64(text), bytes) << text;
  }
}

// RFC 4648 section 10, without the padding.
TEST(Base32, Rfc4648VectorsWithoutPadding) {
  const std::pair<const char*, const char*> vectors[] = {
      {"f", "MY"},         {"fo", "MZXQ"},        {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(to_base32(plain), encoded) << plain;
    EXPECT_EQ(from_base32(encoded), std::string(plain)) << encoded;
  }
}

TEST(Base32, EmptyInput) {
  EXPECT_EQ(to_base32(""), "");
  EXPECT_EQ(from_base32(""), std::string());
}

TEST(Base32, DecodesPaddedInputToo) {
  EXPECT_EQ(from_base32("MY======"), std::string("f"));
  EXPECT_EQ(from_base32("MZXW6YTBOI======"), std::string("foobar"));
}

TEST(Base32, RefusesCharactersOutsideTheAlphabet) {
  EXPECT_EQ(from_base32("MY1"), std::nullopt);  // 0, 1, 8, 9 are not base32
  EXPECT_EQ(from_base32("M!"), std::nullopt);
  EXPECT_EQ(from_base32("MZXW6YT8"), std::nullopt);
}

TEST(Base32, RoundTripOfTotpSizedSeeds) {
  for (size_t n : {1u, 5u, 10u, 16u, 20u, 32u, 64u}) {
    const std::string bytes = random_bytes(n);
    const std::string text = to_base32(bytes);
    ASSERT_EQ(text.find('='), std::string::npos) << text;
    ASSERT_EQ(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), std::string::npos)
        << text;
    ASSERT_EQ(from_base32(text), bytes) << text;
  }
  EXPECT_EQ(to_base32(random_bytes(20)).size(), 32u);  // 160 bits, what authenticator apps expect
}

TEST(EqualConstantTime, ComparesContentAndLength) {
  EXPECT_TRUE(equal_constant_time("", ""));
  EXPECT_TRUE(equal_constant_time("abcdef", "abcdef"));
  EXPECT_FALSE(equal_constant_time("abcdef", "abcdeg"));
  EXPECT_FALSE(equal_constant_time("abcdef", "bbcdef"));
  EXPECT_FALSE(equal_constant_time("abcdef", "abcde"));
  EXPECT_FALSE(equal_constant_time("abc", "abcdef"));
  EXPECT_FALSE(equal_constant_time("", "a"));
  EXPECT_TRUE(equal_constant_time(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(equal_constant_time(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(Random, BytesHaveTheRequestedSizeAndDiffer) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(32).size(), 32u);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(random_bytes(16));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Random, HexTokens) {
  const std::string token = random_hex(32);
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
  EXPECT_NE(random_hex(32), token);
}

}  // namespace
}  // namespace kg::crypto
