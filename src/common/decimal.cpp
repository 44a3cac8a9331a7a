#include "common/decimal.hpp"

#include <cassert>
#include <cstdlib>

namespace kg {

int64_t pow10(int exp) {
  assert(exp >= 0 && exp <= kMaxScale);
  int64_t v = 1;
  for (int i = 0; i < exp; ++i) v *= 10;
  return v;
}

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}
}  // namespace

std::optional<int64_t> parse_decimal(std::string_view text, int scale, bool allow_negative) {
  if (scale < 0 || scale > kMaxScale) return std::nullopt;
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    if (!allow_negative) return std::nullopt;
    negative = true;
    text.remove_prefix(1);
  }
  std::string_view int_part = text;
  std::string_view frac_part;
  if (auto dot = text.find('.'); dot != std::string_view::npos) {
    int_part = text.substr(0, dot);
    frac_part = text.substr(dot + 1);
    if (frac_part.empty()) return std::nullopt;
  }
  if (int_part.empty() || !all_digits(int_part) || !all_digits(frac_part)) return std::nullopt;
  // Digits beyond the scale are allowed only when they are zeros.
  while (static_cast<int>(frac_part.size()) > scale) {
    if (frac_part.back() != '0') return std::nullopt;
    frac_part.remove_suffix(1);
  }
  constexpr int64_t kMax = INT64_MAX;
  int64_t units = 0;
  for (char c : int_part) {
    int d = c - '0';
    if (units > (kMax - d) / 10) return std::nullopt;
    units = units * 10 + d;
  }
  const int64_t unit = pow10(scale);
  if (units > kMax / unit) return std::nullopt;
  units *= unit;
  int64_t frac = 0;
  for (char c : frac_part) frac = frac * 10 + (c - '0');
  frac *= pow10(scale - static_cast<int>(frac_part.size()));
  if (units > kMax - frac) return std::nullopt;
  units += frac;
  return negative ? -units : units;
}

void append_decimal(std::string& out, int64_t units, int scale) {
  assert(scale >= 0 && scale <= kMaxScale);
  const bool negative = units < 0;
  // Work in unsigned so that INT64_MIN formats correctly.
  uint64_t magnitude = negative ? ~static_cast<uint64_t>(units) + 1 : static_cast<uint64_t>(units);
  // The digits from the right, padded with zeros to at least one before the point.
  char digits[24];
  size_t n = 0;
  do {
    digits[sizeof digits - ++n] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  while (n <= static_cast<size_t>(scale)) digits[sizeof digits - ++n] = '0';
  const char* first = digits + sizeof digits - n;
  const size_t whole = n - static_cast<size_t>(scale);
  if (negative) out += '-';
  out.append(first, whole);
  if (scale > 0) {
    out += '.';
    out.append(first + whole, static_cast<size_t>(scale));
  }
}

std::string format_decimal(int64_t units, int scale) {
  std::string out;
  append_decimal(out, units, scale);
  return out;
}

}  // namespace kg
