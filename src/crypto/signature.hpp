#pragma once
// Verifying request signatures: HMAC-SHA256 keyed once per API key (the SHA-256 states after the
// inner and outer pads, 224 bytes held inline, so a request copies them and hashes only its
// payload, with no allocation and no pointer to chase), Ed25519 with libsodium, RSA PKCS#1 v1.5 SHA-256 with OpenSSL. Each object is
// immutable after construction and safe to use from many threads at once.

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

  static constexpr size_t kStateSize = 112;  // sizeof(SHA256_CTX), checked where it is used

 private:
  void mac_into(std::string_view payload, unsigned char out[32]) const;
  alignas(8) unsigned char inner_[kStateSize];
  alignas(8) unsigned char outer_[kStateSize];
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
