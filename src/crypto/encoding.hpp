#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kg::crypto {

std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);

// Standard base64 with padding.
std::string to_base64(std::string_view bytes);
std::optional<std::string> from_base64(std::string_view text);

// RFC 4648 base32 without padding (what authenticator apps expect).
std::string to_base32(std::string_view bytes);
std::optional<std::string> from_base32(std::string_view text);

// Constant-time comparison of two equal-length strings; false when lengths differ.
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace kg::crypto
