#pragma once
// Verifying request signatures: HMAC-SHA256 keyed once per API key (the SHA-256 chaining values
// after the inner and outer pads, 64 bytes held inline: a request rebuilds the
// two hash states from them and hashes only its payload, with no allocation and no pointer to
// chase), Ed25519 with libsodium, RSA PKCS#1 v1.5 SHA-256 with OpenSSL. Each object is
// immutable after construction and safe to use from many threads at once.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kg::crypto {

class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view secret);
  ~HmacSha256Key();  // wipes the keyed states
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  // Raw 32-byte MAC.
  std::string mac(std::string_view payload) const;
  std::string sign_hex(std::string_view payload) const;
  // Hex signature, either case, compared in constant time.
  bool verify_hex(std::string_view payload, std::string_view hex_signature) const;
  // The raw 32-byte MAC, compared in constant time.
  bool verify_raw(std::string_view payload, std::string_view mac32) const;

  // With a million keys each request finds its key's states out of the cache: 64 bytes to fetch
  // (and to keep per key), where two whole SHA256_CTX would be 224.
  static constexpr size_t kChainWords = 8;  // SHA-256's h[0..7]

 private:
  void mac_into(std::string_view payload, unsigned char out[32]) const;
  uint32_t inner_[kChainWords];  // after hashing the key ^ ipad block
  uint32_t outer_[kChainWords];  // after hashing the key ^ opad block
};

// 64 hex digits (either case) to 32 bytes; false for anything else.
bool decode_hex32(std::string_view hex, unsigned char out[32]);

class Ed25519PublicKey {
 public:
  // A PEM "PUBLIC KEY" (SubjectPublicKeyInfo) holding an Ed25519 key.
  static std::optional<Ed25519PublicKey> from_pem(std::string_view pem);
  bool verify(std::string_view payload, std::string_view signature) const;  // raw 64 bytes
  const std::string& raw() const { return raw_; }

 private:
  std::string raw_;  // 32 bytes
};

class RsaPublicKey {
 public:
  // A PEM "PUBLIC KEY" holding an RSA key of 2048 or 4096 bits.
  static std::optional<RsaPublicKey> from_pem(std::string_view pem);
  ~RsaPublicKey();
  RsaPublicKey(RsaPublicKey&&) noexcept;
  RsaPublicKey& operator=(RsaPublicKey&&) noexcept;
  bool verify(std::string_view payload, std::string_view signature) const;  // raw bytes
  int bits() const { return bits_; }

 private:
  RsaPublicKey() = default;
  void* pkey_ = nullptr;  // EVP_PKEY*
  int bits_ = 0;
};

}  // namespace kg::crypto
