// libFuzzer target: the fixed-point decimals every amount, price and quantity of a request is
// read with (common/decimal). parse_decimal and format_decimal are checked against a reference
// written here independently with __int128 (which cannot overflow on any int64 amount at any
// scale), at the scale the input picks and at its neighbours, plus the round trips between them.
// Input: byte 0 picks the scale (a few values give an out-of-range one), byte 1 bit 0 allows a
// sign; the rest is the text, whose first 8 bytes are also read as an int64 to format.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "common/decimal.hpp"

namespace {
__extension__ using Int128 = __int128;

void check(bool cond) {
  if (!cond) std::abort();
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

Int128 ref_pow10(int exp) {
  Int128 v = 1;
  for (int i = 0; i < exp; ++i) v *= 10;
  return v;
}

// The documented grammar: [-]digits[.digits], digits past `scale` only zeros, the magnitude in
// units at most INT64_MAX (so "-9223372036854775808" at scale 0 is refused, as the project does).
std::optional<int64_t> reference_parse(std::string_view text, int scale, bool allow_negative) {
  if (scale < 0 || scale > kg::kMaxScale) return std::nullopt;
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    if (!allow_negative) return std::nullopt;
    negative = true;
    text.remove_prefix(1);
  }
  const size_t dot = text.find('.');
  const std::string_view int_part = text.substr(0, dot);
  const std::string_view frac_part =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (int_part.empty() || (dot != std::string_view::npos && frac_part.empty())) return std::nullopt;
  const Int128 max = INT64_MAX;
  Int128 whole = 0;
  bool too_big = false;
  for (char c : int_part) {
    if (!is_digit(c)) return std::nullopt;
    if (!too_big) whole = whole * 10 + (c - '0');
    if (whole > max) too_big = true;
  }
  Int128 frac = 0;
  for (size_t i = 0; i < frac_part.size(); ++i) {
    const char c = frac_part[i];
    if (!is_digit(c)) return std::nullopt;
    if (static_cast<int>(i) < scale) {
      frac = frac * 10 + (c - '0');
    } else if (c != '0') {
      return std::nullopt;
    }
  }
  if (too_big) return std::nullopt;
  const int frac_digits =
      static_cast<int>(frac_part.size()) < scale ? static_cast<int>(frac_part.size()) : scale;
  const Int128 units = whole * ref_pow10(scale) + frac * ref_pow10(scale - frac_digits);
  if (units > max) return std::nullopt;
  return static_cast<int64_t>(negative ? -units : units);
}

std::string digits_of(Int128 v, size_t min_width) {
  std::string out;
  while (v > 0 || out.size() < min_width) {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return out;
}

std::string reference_format(int64_t units, int scale) {
  const Int128 magnitude = units < 0 ? -static_cast<Int128>(units) : static_cast<Int128>(units);
  const Int128 unit = ref_pow10(scale);
  std::string out = units < 0 ? "-" : "";
  out += digits_of(magnitude / unit, 1);
  if (scale > 0) {
    out += '.';
    out += digits_of(magnitude % unit, static_cast<size_t>(scale));
  }
  return out;
}

void check_format(int64_t units, int scale) {
  const std::string text = kg::format_decimal(units, scale);
  check(text == reference_format(units, scale));
  // It reads back as the same amount; INT64_MIN alone has no positive twin and is refused.
  const auto back = kg::parse_decimal(text, scale, true);
  if (units == INT64_MIN) {
    check(!back);
  } else {
    check(back == units);
  }
  // Never a sign on the unsigned path unless it was negative.
  check(kg::parse_decimal(text, scale, false) == (units >= 0 ? back : std::nullopt));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // 0..18, with 19, -1 and 64 now and then: those must be refused, not crash.
  int scale = data[0] % 22;
  if (scale == 19) scale = -1;
  if (scale == 20) scale = 19;
  if (scale == 21) scale = 64;
  const bool allow_negative = (data[1] & 1) != 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);

  const auto got = kg::parse_decimal(text, scale, allow_negative);
  check(got == reference_parse(text, scale, allow_negative));
  if (got) {
    check(allow_negative || *got >= 0);
    // What parsed formats back to text that parses to the same value at the same scale.
    check_format(*got, scale);
    // One more decimal place multiplies by ten, when that still fits.
    if (scale < kg::kMaxScale) {
      const auto finer = kg::parse_decimal(text, scale + 1, allow_negative);
      const Int128 ten_times = static_cast<Int128>(*got) * 10;
      if (ten_times > INT64_MAX || ten_times < -static_cast<Int128>(INT64_MAX)) {
        check(!finer);
      } else {
        check(finer == static_cast<int64_t>(ten_times));
      }
    }
  }
  // Every other scale agrees with the reference too (cheap: the text is short).
  for (int s : {0, 1, 2, 8, 17, 18}) {
    check(kg::parse_decimal(text, s, allow_negative) == reference_parse(text, s, allow_negative));
  }

  // The input's first bytes as an amount: formats like the reference at several scales.
  if (text.size() >= sizeof(int64_t)) {
    int64_t units = 0;
    std::memcpy(&units, text.data(), sizeof units);
    for (int s : {0, 2, 8, 18}) check_format(units, s);
    if (scale >= 0 && scale <= kg::kMaxScale) check_format(units, scale);
  }
  if (scale >= 0 && scale <= kg::kMaxScale) check(kg::pow10(scale) == ref_pow10(scale));
  return 0;
}
