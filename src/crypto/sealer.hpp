#pragma once
// Secrets at rest (HMAC secrets, TOTP seeds) are sealed with AES-256-GCM in an envelope: each
// secret gets its own random data key, the data key is wrapped by the master key, and the
// associated data binds the ciphertext to the row it belongs to (so a sealed value moved to
// another row does not open). The master key never enters the database.

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace kg::crypto {

inline constexpr size_t kMasterKeySize = 32;

class Sealer {
 public:
  explicit Sealer(const std::array<unsigned char, kMasterKeySize>& master_key)
      : master_(master_key) {}

  // Returns "v1:<base64 envelope>".
  std::string seal(std::string_view plaintext, std::string_view context) const;
  // nullopt when the value was sealed under another master key, for another context, or altered.
  std::optional<std::string> unseal(std::string_view sealed, std::string_view context) const;

 private:
  std::array<unsigned char, kMasterKeySize> master_;
};

// AES-256-GCM with a 12-byte IV and a 16-byte tag: iv | ciphertext | tag.
std::string aes_gcm_encrypt(std::string_view key, std::string_view plaintext, std::string_view aad);
std::optional<std::string> aes_gcm_decrypt(std::string_view key, std::string_view box,
                                           std::string_view aad);

}  // namespace kg::crypto
