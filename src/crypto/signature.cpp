#include "crypto/signature.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <stdexcept>
#include <utility>

#include "crypto/encoding.hpp"

namespace kg::crypto {

namespace {
const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

EVP_MAC* hmac_algorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

EVP_PKEY* read_public_pem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return nullptr;
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

// Hex digit values (either case); 0xFF for anything else.
struct HexTable {
  unsigned char v[256];
  constexpr HexTable() : v() {
    for (auto& x : v) x = 0xFF;
    for (int i = 0; i < 10; ++i) v['0' + i] = static_cast<unsigned char>(i);
    for (int i = 0; i < 6; ++i) v['a' + i] = v['A' + i] = static_cast<unsigned char>(10 + i);
  }
};
constexpr HexTable kHex;
}  // namespace

struct HmacSha256Key::Impl {
  EVP_MAC_CTX* ctx = nullptr;  // keyed template; each call works on a copy
};

HmacSha256Key::HmacSha256Key(std::string_view secret) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MAC_CTX_new(hmac_algorithm());
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  if (!impl_->ctx || EVP_MAC_init(impl_->ctx, bytes(secret), secret.size(), params) != 1) {
    throw std::runtime_error("HMAC-SHA256 key setup failed");
  }
}

HmacSha256Key::~HmacSha256Key() { EVP_MAC_CTX_free(impl_->ctx); }

std::string HmacSha256Key::mac(std::string_view payload) const {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(impl_->ctx);
  std::string out(32, '\0');
  size_t len = 0;
  bool ok = ctx && EVP_MAC_update(ctx, bytes(payload), payload.size()) == 1 &&
            EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) == 1;
  EVP_MAC_CTX_free(ctx);
  if (!ok || len != 32) throw std::runtime_error("HMAC-SHA256 failed");
  return out;
}

std::string HmacSha256Key::sign_hex(std::string_view payload) const { return to_hex(mac(payload)); }

bool decode_hex32(std::string_view hex, unsigned char out[32]) {
  if (hex.size() != 64) return false;
  unsigned char bad = 0;
  for (size_t i = 0; i < 32; ++i) {
    const unsigned char hi = kHex.v[static_cast<unsigned char>(hex[2 * i])];
    const unsigned char lo = kHex.v[static_cast<unsigned char>(hex[2 * i + 1])];
    bad |= static_cast<unsigned char>(hi | lo);
    out[i] = static_cast<unsigned char>((hi << 4) | (lo & 0x0F));
  }
  return (bad & 0xF0) == 0;
}

bool HmacSha256Key::verify_raw(std::string_view payload, std::string_view mac32) const {
  if (mac32.size() != 32) return false;
  const std::string expected = mac(payload);
  // Constant time: no early exit, the outcome depends on every byte.
  unsigned char diff = 0;
  for (size_t i = 0; i < 32; ++i) diff |= static_cast<unsigned char>(mac32[i] ^ expected[i]);
  return diff == 0;
}

bool HmacSha256Key::verify_hex(std::string_view payload, std::string_view hex_signature) const {
  unsigned char given[32];
  if (!decode_hex32(hex_signature, given)) return false;
  return verify_raw(payload, std::string_view(reinterpret_cast<const char*>(given), 32));
}

std::optional<Ed25519PublicKey> Ed25519PublicKey::from_pem(std::string_view pem) {
  if (sodium_init() < 0) return std::nullopt;
  EVP_PKEY* key = read_public_pem(pem);
  if (!key) return std::nullopt;
  Ed25519PublicKey out;
  size_t len = 32;
  out.raw_.resize(32);
  bool ok = EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 &&
            EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.raw_.data()), &len) == 1 && len == 32;
  EVP_PKEY_free(key);
  if (!ok) return std::nullopt;
  return out;
}

bool Ed25519PublicKey::verify(std::string_view payload, std::string_view signature) const {
  if (signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(bytes(signature), bytes(payload), payload.size(), bytes(raw_)) == 0;
}

std::optional<RsaPublicKey> RsaPublicKey::from_pem(std::string_view pem) {
  EVP_PKEY* key = read_public_pem(pem);
  if (!key) return std::nullopt;
  const int bits = EVP_PKEY_get_bits(key);
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA || (bits != 2048 && bits != 4096)) {
    EVP_PKEY_free(key);
    return std::nullopt;
  }
  RsaPublicKey out;
  out.pkey_ = key;
  out.bits_ = bits;
  return out;
}

RsaPublicKey::~RsaPublicKey() { EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_)); }
RsaPublicKey::RsaPublicKey(RsaPublicKey&& o) noexcept : pkey_(std::exchange(o.pkey_, nullptr)), bits_(o.bits_) {}
RsaPublicKey& RsaPublicKey::operator=(RsaPublicKey&& o) noexcept {
  std::swap(pkey_, o.pkey_);
  std::swap(bits_, o.bits_);
  return *this;
}

bool RsaPublicKey::verify(std::string_view payload, std::string_view signature) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, static_cast<EVP_PKEY*>(pkey_)) == 1 &&
            EVP_DigestVerify(ctx, bytes(signature), signature.size(), bytes(payload), payload.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace kg::crypto
