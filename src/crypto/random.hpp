#pragma once

#include <string>

namespace kg::crypto {

// Cryptographically secure random bytes (libsodium).
std::string random_bytes(size_t n);

// A random token of `n_bytes` of entropy, hex-encoded (2 * n_bytes characters).
std::string random_hex(size_t n_bytes);

}  // namespace kg::crypto
