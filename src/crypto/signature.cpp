#include "crypto/signature.hpp"

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP_Digest*, but EVP has no
// way to keep a hashed prefix except a heap context per key (about 3 KB each with HMAC) that
// every request must duplicate. The low-level calls run the same assembly (SHA-NI, AVX2).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "crypto/encoding.hpp"

namespace kg::crypto {

namespace {
const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

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

static_assert(sizeof(SHA256_CTX::h) == sizeof(uint32_t) * HmacSha256Key::kChainWords);

namespace {
// A SHA-256 state that has hashed exactly one 64-byte block and whose chaining value is `h`: all
// a pre-keyed HMAC needs to keep of it.
void resume_after_one_block(SHA256_CTX& ctx, const uint32_t h[HmacSha256Key::kChainWords]) {
  SHA256_Init(&ctx);
  std::memcpy(ctx.h, h, sizeof ctx.h);
  ctx.Nl = SHA256_CBLOCK * 8;  // bits hashed so far
}
}  // namespace

HmacSha256Key::HmacSha256Key(std::string_view secret) {
  // RFC 2104: a key longer than the block is hashed first; then zero-padded to 64 bytes.
  unsigned char block[SHA256_CBLOCK] = {};
  if (secret.size() > sizeof block) {
    SHA256(bytes(secret), secret.size(), block);
  } else {
    std::copy(secret.begin(), secret.end(), reinterpret_cast<char*>(block));
  }
  unsigned char pad[SHA256_CBLOCK];
  SHA256_CTX ctx;
  auto keyed = [&](uint32_t* chain, unsigned char with) {
    for (size_t i = 0; i < sizeof pad; ++i) pad[i] = static_cast<unsigned char>(block[i] ^ with);
    if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, pad, sizeof pad) != 1 || ctx.num != 0) {
      throw std::runtime_error("HMAC-SHA256 key setup failed");
    }
    std::memcpy(chain, ctx.h, sizeof ctx.h);
  };
  keyed(inner_, 0x36);
  keyed(outer_, 0x5c);
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
  OPENSSL_cleanse(&ctx, sizeof ctx);
}

HmacSha256Key::~HmacSha256Key() {
  OPENSSL_cleanse(inner_, sizeof inner_);
  OPENSSL_cleanse(outer_, sizeof outer_);
}

void HmacSha256Key::mac_into(std::string_view payload, unsigned char out[32]) const {
  SHA256_CTX ctx;
  resume_after_one_block(ctx, inner_);
  SHA256_Update(&ctx, payload.data(), payload.size());
  unsigned char inner_hash[SHA256_DIGEST_LENGTH];
  SHA256_Final(inner_hash, &ctx);
  resume_after_one_block(ctx, outer_);
  SHA256_Update(&ctx, inner_hash, sizeof inner_hash);
  SHA256_Final(out, &ctx);
  OPENSSL_cleanse(&ctx, sizeof ctx);
}

std::string HmacSha256Key::mac(std::string_view payload) const {
  std::string out(32, '\0');
  mac_into(payload, reinterpret_cast<unsigned char*>(out.data()));
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
  unsigned char expected[32];
  mac_into(payload, expected);
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
