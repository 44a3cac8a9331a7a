#include "crypto/random.hpp"

#include <sodium.h>

#include <stdexcept>

#include "crypto/encoding.hpp"

namespace kg::crypto {

namespace {
void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium failed to initialise");
}
}  // namespace

std::string random_bytes(size_t n) {
  ensure_sodium();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

std::string random_hex(size_t n_bytes) { return to_hex(random_bytes(n_bytes)); }

}  // namespace kg::crypto
