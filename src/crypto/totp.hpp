#pragma once
// RFC 6238 TOTP: HMAC-SHA1, 6 digits, 30-second steps (what every authenticator app uses).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kg::crypto {

inline constexpr int kTotpStepSeconds = 30;
inline constexpr int kTotpDigits = 6;

// The code for the step containing `unix_seconds`.
std::string totp_code(std::string_view secret, int64_t unix_seconds, int digits = kTotpDigits);

// The step number (unix_seconds / 30) the code matches within ±window steps, or nullopt.
std::optional<int64_t> totp_match(std::string_view secret, std::string_view code,
                                  int64_t unix_seconds, int window = 1);

// otpauth:// URI for authenticator apps.
std::string totp_uri(std::string_view issuer, std::string_view account,
                     std::string_view base32_secret);

}  // namespace kg::crypto
