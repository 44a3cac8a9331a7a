#pragma once

#include <string>
#include <string_view>

namespace kg::accounts {

inline constexpr size_t kMinPasswordChars = 10;
inline constexpr size_t kMaxPasswordChars = 128;

// Trimmed and lower-cased; emails compare case-insensitively.
std::string normalize_email(std::string_view email);
bool valid_email(std::string_view normalized);
// Counts UTF-8 code points.
bool valid_password_length(std::string_view password);

}  // namespace kg::accounts
