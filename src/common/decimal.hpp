#pragma once
// Exact fixed-point decimals: an amount is an int64 count of 10^-scale units.
// No floating point ever touches money.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kg {

inline constexpr int kMaxScale = 18;

// Parses "123", "0.5", "1.23000000" into units of 10^-scale. Refuses signs (unless
// allow_negative), exponents, empty parts ("1.", ".5" are refused, as Binance does),
// more significant decimals than `scale`, and anything that overflows int64.
std::optional<int64_t> parse_decimal(std::string_view text, int scale, bool allow_negative = false);

// Formats with exactly `scale` decimals: format_decimal(150000000, 8) == "1.50000000".
std::string format_decimal(int64_t units, int scale);
// The same, appended to `out` without a temporary (answers written as text on hot paths).
void append_decimal(std::string& out, int64_t units, int scale);

// 10^exp as int64 (exp in [0, 18]).
int64_t pow10(int exp);

}  // namespace kg
