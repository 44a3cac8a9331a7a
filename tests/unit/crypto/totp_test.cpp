#include "crypto/totp.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace kg::crypto {
namespace {

constexpr const char* kRfcSecret = "12345678901234567890";  // RFC 6238 appendix B, SHA-1

// RFC 6238 appendix B (SHA-1 column).
TEST(TotpCode, Rfc6238Vectors) {
  EXPECT_EQ(totp_code(kRfcSecret, 59, 8), "94287082");
  EXPECT_EQ(totp_code(kRfcSecret, 1111111109, 8), "07081804");
  EXPECT_EQ(totp_code(kRfcSecret, 1111111111, 8), "14050471");
  EXPECT_EQ(totp_code(kRfcSecret, 1234567890, 8), "89005924");
  EXPECT_EQ(totp_code(kRfcSecret, 2000000000, 8), "69279037");
  EXPECT_EQ(totp_code(kRfcSecret, 20000000000, 8), "65353130");
}

TEST(TotpCode, SixDigitsByDefaultAreTheLastSixOfTheEightDigitCode) {
  EXPECT_EQ(totp_code(kRfcSecret, 59), "287082");
  EXPECT_EQ(totp_code(kRfcSecret, 1111111109), "081804");
  EXPECT_EQ(totp_code(kRfcSecret, 1111111109).size(), 6u);
}

TEST(TotpCode, ConstantWithinAStep) {
  EXPECT_EQ(totp_code(kRfcSecret, 30), totp_code(kRfcSecret, 59));
  EXPECT_NE(totp_code(kRfcSecret, 59), totp_code(kRfcSecret, 60));
}

class TotpMatch : public ::testing::Test {
 protected:
  static constexpr int64_t kNow = 1111111111;  // step 37037037, 1 s into it
  static constexpr int64_t kStep = kNow / kTotpStepSeconds;
  std::string code_at(int64_t steps_from_now) const {
    return totp_code(kRfcSecret, kNow + steps_from_now * kTotpStepSeconds);
  }
};

TEST_F(TotpMatch, ReturnsTheStepForTheCurrentCode) {
  EXPECT_EQ(totp_match(kRfcSecret, code_at(0), kNow), kStep);
}

TEST_F(TotpMatch, AcceptsOneStepEitherSide) {
  EXPECT_EQ(totp_match(kRfcSecret, code_at(-1), kNow), kStep - 1);
  EXPECT_EQ(totp_match(kRfcSecret, code_at(1), kNow), kStep + 1);
}

TEST_F(TotpMatch, RefusesTwoStepsAway) {
  EXPECT_EQ(totp_match(kRfcSecret, code_at(-2), kNow), std::nullopt);
  EXPECT_EQ(totp_match(kRfcSecret, code_at(2), kNow), std::nullopt);
}

TEST_F(TotpMatch, WindowZeroAcceptsOnlyTheCurrentStep) {
  EXPECT_EQ(totp_match(kRfcSecret, code_at(0), kNow, 0), kStep);
  EXPECT_EQ(totp_match(kRfcSecret, code_at(1), kNow, 0), std::nullopt);
  EXPECT_EQ(totp_match(kRfcSecret, code_at(-1), kNow, 0), std::nullopt);
}

TEST_F(TotpMatch, RefusesAnotherSecret) {
  EXPECT_EQ(totp_match("another secret of 20b", code_at(0), kNow), std::nullopt);
}

TEST_F(TotpMatch, RefusesNonDigitsAndWrongLengths) {
  const std::string good = code_at(0);
  EXPECT_EQ(totp_match(kRfcSecret, good.substr(0, 5), kNow), std::nullopt);
  EXPECT_EQ(totp_match(kRfcSecret, good + "0", kNow), std::nullopt);
  EXPECT_EQ(totp_match(kRfcSecret, "", kNow), std::nullopt);
  EXPECT_EQ(totp_match(kRfcSecret, totp_code(kRfcSecret, kNow, 8), kNow), std::nullopt);
  EXPECT_EQ(totp_match(kRfcSecret, " " + good.substr(1), kNow), std::nullopt);
  EXPECT_EQ(totp_match(kRfcSecret, good.substr(0, 5) + "a", kNow), std::nullopt);
  EXPECT_EQ(totp_match(kRfcSecret, "-" + good.substr(1), kNow), std::nullopt);
  EXPECT_EQ(totp_match(kRfcSecret, good.substr(0, 3) + std::string(1, '\0') + good.substr(4), kNow),
            std::nullopt);
}

TEST(TotpUri, HasTheAuthenticatorAppFields) {
  EXPECT_EQ(totp_uri("keygate", "alice@example.com", "MZXW6YTBOI"),
            "otpauth://totp/keygate:alice@example.com?secret=MZXW6YTBOI&issuer=keygate"
            "&algorithm=SHA1&digits=6&period=30");
}

TEST(TotpUri, EscapesIssuerAndAccount) {
  EXPECT_EQ(totp_uri("My Exchange", "a+b:c@example.com", "MY"),
            "otpauth://totp/My%20Exchange:a%2Bb%3Ac@example.com?secret=MY&issuer=My%20Exchange"
            "&algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace kg::crypto
