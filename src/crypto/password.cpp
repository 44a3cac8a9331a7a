#include "crypto/password.hpp"

#include <argon2.h>

#include <stdexcept>
#include <string>

#include "crypto/random.hpp"

namespace kg::crypto {

std::string hash_password(std::string_view password, const Argon2Params& params) {
  constexpr size_t kSaltLen = 16;
  constexpr size_t kHashLen = 32;
  std::string salt = random_bytes(kSaltLen);
  size_t encoded_len = argon2_encodedlen(params.t_cost, params.m_cost_kib, params.parallelism,
                                         kSaltLen, kHashLen, Argon2_id);
  std::string encoded(encoded_len, '\0');
  int rc = argon2id_hash_encoded(params.t_cost, params.m_cost_kib, params.parallelism,
                                 password.data(), password.size(), salt.data(), salt.size(),
                                 kHashLen, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) throw std::runtime_error(argon2_error_message(rc));
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool verify_password(std::string_view encoded, std::string_view password) {
  std::string z(encoded);  // argon2 needs a NUL-terminated string
  return argon2id_verify(z.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace kg::crypto
