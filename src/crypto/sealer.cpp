#include "crypto/sealer.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

namespace kg::crypto {

namespace {
constexpr size_t kIvSize = 12;
constexpr size_t kTagSize = 16;
constexpr std::string_view kPrefix = "v1:";

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  return ctx;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
}  // namespace

std::string aes_gcm_encrypt(std::string_view key, std::string_view plaintext, std::string_view aad) {
  if (key.size() != 32) throw std::invalid_argument("AES-256-GCM needs a 32-byte key");
  std::string iv = random_bytes(kIvSize);
  std::string out = iv;
  out.resize(kIvSize + plaintext.size() + kTagSize);
  auto* ct = reinterpret_cast<unsigned char*>(out.data() + kIvSize);
  auto ctx = new_ctx();
  int len = 0;
  bool ok = EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(iv)) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), ct, &len, bytes(plaintext), static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                                ct + plaintext.size()) == 1;
  if (!ok) throw std::runtime_error("AES-256-GCM encryption failed");
  return out;
}

std::optional<std::string> aes_gcm_decrypt(std::string_view key, std::string_view box,
                                           std::string_view aad) {
  if (key.size() != 32 || box.size() < kIvSize + kTagSize) return std::nullopt;
  std::string_view iv = box.substr(0, kIvSize);
  std::string_view ct = box.substr(kIvSize, box.size() - kIvSize - kTagSize);
  std::string tag(box.substr(box.size() - kTagSize));
  std::string out(ct.size(), '\0');
  auto* pt = reinterpret_cast<unsigned char*>(out.data());
  auto ctx = new_ctx();
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(iv)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), pt, &len, bytes(ct), static_cast<int>(ct.size())) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), pt + len, &len) == 1;
  if (!ok) return std::nullopt;
  return out;
}

// Envelope: wrapped data key (iv | key | tag, 60 bytes) followed by the secret sealed under it.
std::string Sealer::seal(std::string_view plaintext, std::string_view context) const {
  std::string data_key = random_bytes(32);
  std::string_view master(reinterpret_cast<const char*>(master_.data()), master_.size());
  std::string envelope = aes_gcm_encrypt(master, data_key, context);
  envelope += aes_gcm_encrypt(data_key, plaintext, context);
  return std::string(kPrefix) + to_base64(envelope);
}

std::optional<std::string> Sealer::unseal(std::string_view sealed, std::string_view context) const {
  constexpr size_t kWrappedSize = kIvSize + 32 + kTagSize;
  if (!sealed.starts_with(kPrefix)) return std::nullopt;
  auto envelope = from_base64(sealed.substr(kPrefix.size()));
  if (!envelope || envelope->size() < kWrappedSize) return std::nullopt;
  std::string_view view(*envelope);
  std::string_view master(reinterpret_cast<const char*>(master_.data()), master_.size());
  auto data_key = aes_gcm_decrypt(master, view.substr(0, kWrappedSize), context);
  if (!data_key) return std::nullopt;
  return aes_gcm_decrypt(*data_key, view.substr(kWrappedSize), context);
}

}  // namespace kg::crypto
