#include "common/decimal.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>

namespace kg {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(Pow10, CoversTheWholeRange) {
  EXPECT_EQ(pow10(0), 1);
  EXPECT_EQ(pow10(1), 10);
  EXPECT_EQ(pow10(8), 100'000'000);
  EXPECT_EQ(pow10(18), 1'000'000'000'000'000'000);
}

TEST(ParseDecimal, Integers) {
  EXPECT_EQ(parse_decimal("0", 8), 0);
  EXPECT_EQ(parse_decimal("1", 8), 100'000'000);
  EXPECT_EQ(parse_decimal("123", 8), 12'300'000'000);
  EXPECT_EQ(parse_decimal("123", 0), 123);
  EXPECT_EQ(parse_decimal("9000000", 8), 900'000'000'000'000);
}

TEST(ParseDecimal, Fractions) {
  EXPECT_EQ(parse_decimal("0.5", 8), 50'000'000);
  EXPECT_EQ(parse_decimal("1.23", 8), 123'000'000);
  EXPECT_EQ(parse_decimal("1.23000000", 8), 123'000'000);
  EXPECT_EQ(parse_decimal("0.00000001", 8), 1);
  EXPECT_EQ(parse_decimal("0.1", 1), 1);
  EXPECT_EQ(parse_decimal("12.345", 3), 12'345);
  EXPECT_EQ(parse_decimal("0.000000000000000001", 18), 1);
}

TEST(ParseDecimal, TrailingZerosBeyondScaleAreAccepted) {
  EXPECT_EQ(parse_decimal("1.230000000000", 8), 123'000'000);
  EXPECT_EQ(parse_decimal("0.000000010", 8), 1);
  EXPECT_EQ(parse_decimal("5.000", 0), 5);
  EXPECT_EQ(parse_decimal("5.0", 0), 5);
}

TEST(ParseDecimal, NonZeroDigitsBeyondScaleAreRefused) {
  EXPECT_EQ(parse_decimal("0.000000011", 8), std::nullopt);
  EXPECT_EQ(parse_decimal("0.000000001", 8), std::nullopt);
  EXPECT_EQ(parse_decimal("1.5", 0), std::nullopt);
  EXPECT_EQ(parse_decimal("1.0000000001", 8), std::nullopt);
}

TEST(ParseDecimal, EmptyPartsAreRefused) {
  EXPECT_EQ(parse_decimal("1.", 8), std::nullopt);
  EXPECT_EQ(parse_decimal(".5", 8), std::nullopt);
  EXPECT_EQ(parse_decimal("", 8), std::nullopt);
  EXPECT_EQ(parse_decimal(".", 8), std::nullopt);
  EXPECT_EQ(parse_decimal("-", 8, true), std::nullopt);
  EXPECT_EQ(parse_decimal("-.5", 8, true), std::nullopt);
  EXPECT_EQ(parse_decimal("-1.", 8, true), std::nullopt);
}

TEST(ParseDecimal, NegativesOnlyWhenAllowed) {
  EXPECT_EQ(parse_decimal("-1", 8), std::nullopt);
  EXPECT_EQ(parse_decimal("-0.5", 8), std::nullopt);
  EXPECT_EQ(parse_decimal("-1", 8, true), -100'000'000);
  EXPECT_EQ(parse_decimal("-0.5", 8, true), -50'000'000);
  EXPECT_EQ(parse_decimal("--1", 8, true), std::nullopt);
}

TEST(ParseDecimal, SignsExponentsSpacesAndOtherCharactersAreRefused) {
  for (const char* text : {"+1", "1e5", "1E5", " 1", "1 ", "1 .5", "1. 5", "1,5", "0x10", "1.2.3",
                           "1_000", "١", "1-", "abc", "1.5a", "\t1", "1\n"}) {
    EXPECT_EQ(parse_decimal(text, 8), std::nullopt) << '"' << text << '"';
    EXPECT_EQ(parse_decimal(text, 8, true), std::nullopt) << '"' << text << '"';
  }
}

TEST(ParseDecimal, ScaleOutsideTheSupportedRangeIsRefused) {
  EXPECT_EQ(parse_decimal("1", -1), std::nullopt);
  EXPECT_EQ(parse_decimal("1", kMaxScale + 1), std::nullopt);
  EXPECT_EQ(parse_decimal("1", kMaxScale), pow10(kMaxScale));
}

TEST(ParseDecimal, Int64OverflowEdges) {
  // Scale 0: the integer range itself.
  EXPECT_EQ(parse_decimal("9223372036854775807", 0), kMax);
  EXPECT_EQ(parse_decimal("9223372036854775808", 0), std::nullopt);
  EXPECT_EQ(parse_decimal("9223372036854775810", 0), std::nullopt);
  EXPECT_EQ(parse_decimal("99999999999999999999", 0), std::nullopt);
  EXPECT_EQ(parse_decimal("-9223372036854775807", 0, true), -kMax);
  EXPECT_EQ(parse_decimal("9223372036854775807.0", 0), kMax);

  // Scale 8: the integer part and the fraction together.
  EXPECT_EQ(parse_decimal("92233720368.54775807", 8), kMax);
  EXPECT_EQ(parse_decimal("92233720368.54775808", 8), std::nullopt);
  EXPECT_EQ(parse_decimal("92233720368.6", 8), std::nullopt);
  EXPECT_EQ(parse_decimal("92233720369", 8), std::nullopt);
  EXPECT_EQ(parse_decimal("92233720368", 8), 9'223'372'036'800'000'000);
  EXPECT_EQ(parse_decimal("-92233720368.54775807", 8, true), -kMax);

  // Scale 18.
  EXPECT_EQ(parse_decimal("9.223372036854775807", 18), kMax);
  EXPECT_EQ(parse_decimal("9.223372036854775808", 18), std::nullopt);
  EXPECT_EQ(parse_decimal("10", 18), std::nullopt);
}

TEST(FormatDecimal, ExactlyScaleDecimals) {
  EXPECT_EQ(format_decimal(150'000'000, 8), "1.50000000");
  EXPECT_EQ(format_decimal(1, 8), "0.00000001");
  EXPECT_EQ(format_decimal(12'345, 3), "12.345");
  EXPECT_EQ(format_decimal(5, 0), "5");
  EXPECT_EQ(format_decimal(100'000'000, 8), "1.00000000");
}

TEST(FormatDecimal, Zero) {
  EXPECT_EQ(format_decimal(0, 0), "0");
  EXPECT_EQ(format_decimal(0, 8), "0.00000000");
  EXPECT_EQ(format_decimal(0, 18), "0.000000000000000000");
}

TEST(FormatDecimal, Negatives) {
  EXPECT_EQ(format_decimal(-1, 8), "-0.00000001");
  EXPECT_EQ(format_decimal(-150'000'000, 8), "-1.50000000");
  EXPECT_EQ(format_decimal(-5, 0), "-5");
}

TEST(FormatDecimal, Extremes) {
  EXPECT_EQ(format_decimal(kMax, 0), "9223372036854775807");
  EXPECT_EQ(format_decimal(kMax, 8), "92233720368.54775807");
  EXPECT_EQ(format_decimal(kMax, 18), "9.223372036854775807");
  EXPECT_EQ(format_decimal(kMin, 0), "-9223372036854775808");
  EXPECT_EQ(format_decimal(kMin, 8), "-92233720368.54775808");
  EXPECT_EQ(format_decimal(kMin, 18), "-9.223372036854775808");
}

TEST(FormatDecimal, AppendAddsToWhatIsThere) {
  std::string out = R"({"free":")";
  append_decimal(out, -150'000'000, 8);
  out += '"';
  append_decimal(out, kMin, 18);
  EXPECT_EQ(out, R"({"free":"-1.50000000"-9.223372036854775808)");
}

TEST(DecimalRoundTrip, FormatThenParseGivesTheSameUnits) {
  const int64_t fixed[] = {0, 1, -1, 9, 10, 99'999'999, 100'000'000, -123'456'789, kMax, -kMax};
  for (int scale = 0; scale <= kMaxScale; ++scale) {
    for (int64_t v : fixed) {
      const std::string text = format_decimal(v, scale);
      EXPECT_EQ(parse_decimal(text, scale, true), v) << text << " at scale " << scale;
    }
  }
  std::mt19937_64 rng(20240607);
  for (int i = 0; i < 2000; ++i) {
    const int scale = static_cast<int>(rng() % (kMaxScale + 1));
    const int64_t v = static_cast<int64_t>(rng() >> (rng() % 64));
    const std::string text = format_decimal(v, scale);
    ASSERT_EQ(parse_decimal(text, scale, true), v) << text << " at scale " << scale;
    if (v >= 0) {
      ASSERT_EQ(parse_decimal(text, scale), v) << text;
    }
  }
}

TEST(DecimalRoundTrip, ParseThenFormatIsCanonical) {
  EXPECT_EQ(format_decimal(*parse_decimal("1.5", 8), 8), "1.50000000");
  EXPECT_EQ(format_decimal(*parse_decimal("0.00000001", 8), 8), "0.00000001");
  EXPECT_EQ(format_decimal(*parse_decimal("1.230000000000", 8), 8), "1.23000000");
  EXPECT_EQ(format_decimal(*parse_decimal("-42.1", 2, true), 2), "-42.10");
}

}  // namespace
}  // namespace kg
