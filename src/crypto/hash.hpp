#pragma once

#include <string>
#include <string_view>

namespace kg::crypto {

// SHA-256 digest, raw 32 bytes.
std::string sha256(std::string_view data);
// SHA-256 digest, lowercase hex.
std::string sha256_hex(std::string_view data);
// HMAC-SHA256, raw 32 bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace kg::crypto
