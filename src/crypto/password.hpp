#pragma once
// Passwords are stored as Argon2id encoded hashes (parameters and salt inside the string).

#include <cstdint>
#include <string>
#include <string_view>

namespace kg::crypto {

struct Argon2Params {
  uint32_t t_cost = 2;         // iterations
  uint32_t m_cost_kib = 19456; // 19 MiB, OWASP's recommendation for Argon2id
  uint32_t parallelism = 1;
};

std::string hash_password(std::string_view password, const Argon2Params& params = {});
bool verify_password(std::string_view encoded, std::string_view password);

}  // namespace kg::crypto
