// Request signature verifiers: HMAC-SHA256 (RFC 4231, Binance's published examples), Ed25519
// (RFC 8032 §7.1) and RSA PKCS#1 v1.5 SHA-256 (keys generated here with OpenSSL).

#include "crypto/signature.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

namespace kg::crypto {
namespace {

std::string unhex(std::string_view hex) {
  auto bytes = from_hex(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes.value_or("");
}

// ---------------------------------------------------------------------------------------------
// HMAC-SHA256

struct HmacVector {
  const char* name;
  std::string key;
  std::string data;
  const char* mac_hex;
};

std::vector<HmacVector> rfc4231() {
  return {
      {"case1", std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"case2", "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"case4", unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      // A key longer than the hash's block size is hashed first.
      {"case6", std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
  };
}

TEST(HmacSha256Key, Rfc4231MacIsRaw32Bytes) {
  for (const auto& v : rfc4231()) {
    SCOPED_TRACE(v.name);
    HmacSha256Key key(v.key);
    const std::string mac = key.mac(v.data);
    ASSERT_EQ(mac.size(), 32u);
    EXPECT_EQ(to_hex(mac), v.mac_hex);
    EXPECT_EQ(key.sign_hex(v.data), v.mac_hex);
    EXPECT_TRUE(key.verify_hex(v.data, v.mac_hex));
  }
}

TEST(HmacSha256Key, KeyedOnceGivesTheSameMacEveryCall) {
  HmacSha256Key key("Jefe");
  const std::string first = key.sign_hex("what do ya want for nothing?");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(key.sign_hex("what do ya want for nothing?"), first);
  // A different payload after that is not affected by the previous ones.
  EXPECT_NE(key.sign_hex("what do ya want for nothing!"), first);
  EXPECT_EQ(key.sign_hex("what do ya want for nothing?"), first);
}

// The key keeps only the two chaining values after the pads and rebuilds the hash states from
// them: every length of key and payload, across the block and padding boundaries, must give what
// OpenSSL's one-shot HMAC gives.
TEST(HmacSha256Key, MatchesOneShotHmacAcrossBlockBoundaries) {
  std::string payload;
  for (size_t key_len : {0, 1, 32, 55, 56, 63, 64, 65, 100, 131}) {
    const std::string secret(key_len, static_cast<char>('a' + key_len % 26));
    HmacSha256Key key(secret);
    payload.clear();
    for (size_t n = 0; n <= 200; ++n) {
      SCOPED_TRACE("key " + std::to_string(key_len) + " payload " + std::to_string(n));
      ASSERT_EQ(key.mac(payload), hmac_sha256(secret, payload));
      payload.push_back(static_cast<char>(n * 7));
    }
  }
}

constexpr const char* kBinanceSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
constexpr const char* kBinancePayload =
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
    "timestamp=1499827319559";
constexpr const char* kBinanceSignature = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";

TEST(HmacSha256Key, BinanceRestVector) {
  HmacSha256Key key(kBinanceSecret);
  EXPECT_EQ(key.sign_hex(kBinancePayload), kBinanceSignature);
  EXPECT_TRUE(key.verify_hex(kBinancePayload, kBinanceSignature));
}

TEST(HmacSha256Key, BinanceWebSocketApiVector) {
  // From Binance's WebSocket API docs (parameters sorted by name). The published payload ends
  // with "&type=LIMIT"; without it the MAC is d9fa97dc...
  HmacSha256Key key(kBinanceSecret);
  const std::string payload =
      "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&"
      "quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&"
      "timestamp=1645423376532&type=LIMIT";
  EXPECT_EQ(key.sign_hex(payload), "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24");
  EXPECT_TRUE(key.verify_hex(payload, "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"));
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TEST(HmacSha256Key, VerifyAcceptsLowerUpperAndMixedCaseHex) {
  HmacSha256Key key(kBinanceSecret);
  const std::string lower = kBinanceSignature;
  EXPECT_TRUE(key.verify_hex(kBinancePayload, lower));
  EXPECT_TRUE(key.verify_hex(kBinancePayload, upper(lower)));
  std::string mixed = lower;
  for (size_t i = 0; i < mixed.size(); i += 2) mixed[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(mixed[i])));
  EXPECT_TRUE(key.verify_hex(kBinancePayload, mixed));
  // sign_hex itself writes lower case.
  EXPECT_EQ(key.sign_hex(kBinancePayload), lower);
}

TEST(HmacSha256Key, VerifyRefusesWrongLength) {
  HmacSha256Key key(kBinanceSecret);
  const std::string sig = kBinanceSignature;
  EXPECT_FALSE(key.verify_hex(kBinancePayload, ""));
  EXPECT_FALSE(key.verify_hex(kBinancePayload, sig.substr(0, 63)));
  EXPECT_FALSE(key.verify_hex(kBinancePayload, sig.substr(0, 62)));
  EXPECT_FALSE(key.verify_hex(kBinancePayload, sig + "0"));
  EXPECT_FALSE(key.verify_hex(kBinancePayload, sig + "00"));
  EXPECT_FALSE(key.verify_hex(kBinancePayload, sig + sig));
  // The raw 32-byte MAC is not hex.
  EXPECT_FALSE(key.verify_hex(kBinancePayload, key.mac(kBinancePayload)));
}

TEST(HmacSha256Key, VerifyRefusesNonHex) {
  HmacSha256Key key(kBinanceSecret);
  const std::string sig = kBinanceSignature;
  for (char bad : {'g', 'G', 'x', ' ', '-', '+', '\0', ':', '/', '@', '`'}) {
    for (size_t pos : {size_t{0}, size_t{1}, size_t{31}, size_t{63}}) {
      std::string s = sig;
      s[pos] = bad;
      EXPECT_FALSE(key.verify_hex(kBinancePayload, s)) << "char " << int(bad) << " at " << pos;
    }
  }
  // Base64 of the right MAC is not accepted either.
  EXPECT_FALSE(key.verify_hex(kBinancePayload, to_base64(key.mac(kBinancePayload))));
}

TEST(HmacSha256Key, VerifyRefusesEveryOneBitFlip) {
  HmacSha256Key key(kBinanceSecret);
  const std::string mac = key.mac(kBinancePayload);
  for (size_t byte = 0; byte < mac.size(); ++byte) {
    for (int b = 0; b < 8; ++b) {
      std::string flipped = mac;
      flipped[byte] = static_cast<char>(flipped[byte] ^ (1 << b));
      EXPECT_FALSE(key.verify_hex(kBinancePayload, to_hex(flipped))) << byte << ":" << b;
    }
  }
  // A changed payload or another key fails too.
  EXPECT_FALSE(key.verify_hex(std::string(kBinancePayload) + "1", kBinanceSignature));
  EXPECT_FALSE(key.verify_hex("", kBinanceSignature));
  HmacSha256Key other(std::string(kBinanceSecret) + "x");
  EXPECT_FALSE(other.verify_hex(kBinancePayload, kBinanceSignature));
}

TEST(HmacSha256Key, EmptySecretAndPayloadWork) {
  HmacSha256Key key("");
  // HMAC-SHA256("", "") is a well-known value.
  EXPECT_EQ(key.sign_hex(""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacSha256Key, UsableFromManyThreadsAtOnce) {
  HmacSha256Key key(kBinanceSecret);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (!key.verify_hex(kBinancePayload, kBinanceSignature)) ++failures[static_cast<size_t>(t)];
        if (key.verify_hex(kBinancePayload, std::string(64, '0'))) ++failures[static_cast<size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

// ---------------------------------------------------------------------------------------------
// Ed25519

// SubjectPublicKeyInfo of an Ed25519 (OID 1.3.101.112) or X25519 (1.3.101.110) key as PEM.
std::string spki_pem(std::string_view der_prefix_hex, std::string_view key_hex) {
  const std::string b64 = to_base64(unhex(std::string(der_prefix_hex) + std::string(key_hex)));
  std::string pem = "-----BEGIN PUBLIC KEY-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  pem += "-----END PUBLIC KEY-----\n";
  return pem;
}
constexpr const char* kEd25519Prefix = "302a300506032b6570032100";
constexpr const char* kX25519Prefix = "302a300506032b656e032100";

struct Ed25519Vector {
  const char* name;
  const char* public_hex;
  const char* message_hex;
  const char* signature_hex;
};

// RFC 8032 §7.1, TEST 1 to 3.
constexpr Ed25519Vector kRfc8032[] = {
    {"TEST 1", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd2"
     "5bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c38"
     "7b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a"
     "7c15e9716ed28dc027beceea1ec40a"},
};

TEST(Ed25519PublicKey, PemOfTheVectorKeyMatchesOpenSsl) {
  // The PEM built here is what `openssl pkey -pubout` writes for TEST 1's key.
  EXPECT_EQ(spki_pem(kEd25519Prefix, kRfc8032[0].public_hex),
            "-----BEGIN PUBLIC KEY-----\n"
            "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
            "-----END PUBLIC KEY-----\n");
}

TEST(Ed25519PublicKey, Rfc8032VectorsVerify) {
  for (const auto& v : kRfc8032) {
    SCOPED_TRACE(v.name);
    auto key = Ed25519PublicKey::from_pem(spki_pem(kEd25519Prefix, v.public_hex));
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(to_hex(key->raw()), v.public_hex);
    const std::string message = unhex(v.message_hex);
    const std::string signature = unhex(v.signature_hex);
    ASSERT_EQ(signature.size(), 64u);
    EXPECT_TRUE(key->verify(message, signature));

    // One flipped byte anywhere: refused.
    for (size_t i : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
      std::string bad = signature;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      EXPECT_FALSE(key->verify(message, bad)) << "byte " << i;
    }
    // Wrong length.
    EXPECT_FALSE(key->verify(message, signature.substr(0, 63)));
    EXPECT_FALSE(key->verify(message, signature + std::string(1, '\0')));
    EXPECT_FALSE(key->verify(message, ""));
    // Hex or base64 text of the signature is not the raw signature.
    EXPECT_FALSE(key->verify(message, v.signature_hex));
    // Another message.
    EXPECT_FALSE(key->verify(message + "x", signature));
  }
}

TEST(Ed25519PublicKey, SignatureOfOneVectorDoesNotVerifyUnderAnotherKey) {
  auto key1 = Ed25519PublicKey::from_pem(spki_pem(kEd25519Prefix, kRfc8032[0].public_hex));
  auto key2 = Ed25519PublicKey::from_pem(spki_pem(kEd25519Prefix, kRfc8032[1].public_hex));
  ASSERT_TRUE(key1 && key2);
  EXPECT_FALSE(key2->verify(unhex(kRfc8032[0].message_hex), unhex(kRfc8032[0].signature_hex)));
  EXPECT_FALSE(key1->verify(unhex(kRfc8032[1].message_hex), unhex(kRfc8032[1].signature_hex)));
}

TEST(Ed25519PublicKey, PemWithoutTrailingNewlineOrWithCrlfIsAccepted) {
  std::string pem = spki_pem(kEd25519Prefix, kRfc8032[0].public_hex);
  pem.pop_back();
  EXPECT_TRUE(Ed25519PublicKey::from_pem(pem).has_value());
  std::string crlf;
  for (char c : spki_pem(kEd25519Prefix, kRfc8032[0].public_hex)) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  EXPECT_TRUE(Ed25519PublicKey::from_pem(crlf).has_value());
}

// An RSA public key as PEM, and the private key to sign with.
struct RsaKeyPair {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey{nullptr, &EVP_PKEY_free};
  std::string public_pem;
};

RsaKeyPair generate_rsa(unsigned bits) {
  RsaKeyPair out;
  out.pkey.reset(EVP_RSA_gen(bits));
  if (!out.pkey) {
    ADD_FAILURE() << "RSA key generation failed";
    return out;
  }
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, out.pkey.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  out.public_pem.assign(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

const RsaKeyPair& rsa2048() {
  static const RsaKeyPair kPair = generate_rsa(2048);
  return kPair;
}

std::string rsa_sign(EVP_PKEY* pkey, std::string_view payload, bool pss = false) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  std::string sig;
  size_t len = 0;
  bool ok = EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, pkey) == 1;
  if (ok && pss) ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1;
  ok = ok && EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(payload.data()),
                            payload.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  EXPECT_TRUE(ok) << "RSA signing failed";
  return sig;
}

TEST(Ed25519PublicKey, FromPemRefusesOtherKeysAndGarbage) {
  // An RSA key.
  EXPECT_FALSE(Ed25519PublicKey::from_pem(rsa2048().public_pem).has_value());
  // An X25519 key (same length, other OID).
  EXPECT_FALSE(Ed25519PublicKey::from_pem(spki_pem(kX25519Prefix, kRfc8032[0].public_hex)).has_value());
  // Garbage.
  EXPECT_FALSE(Ed25519PublicKey::from_pem("").has_value());
  EXPECT_FALSE(Ed25519PublicKey::from_pem("not a pem").has_value());
  EXPECT_FALSE(Ed25519PublicKey::from_pem(kRfc8032[0].public_hex).has_value());
  EXPECT_FALSE(Ed25519PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").has_value());
  // A truncated key inside a valid-looking PEM.
  EXPECT_FALSE(Ed25519PublicKey::from_pem(spki_pem(kEd25519Prefix, std::string(kRfc8032[0].public_hex).substr(0, 62)))
                   .has_value());
  // The body without its armour.
  EXPECT_FALSE(Ed25519PublicKey::from_pem("MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=").has_value());
}

// ---------------------------------------------------------------------------------------------
// RSA

TEST(RsaPublicKey, Pkcs1v15Sha256SignatureVerifies) {
  const auto& pair = rsa2048();
  ASSERT_TRUE(pair.pkey);
  auto key = RsaPublicKey::from_pem(pair.public_pem);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->bits(), 2048);

  const std::string payload = kBinancePayload;
  const std::string sig = rsa_sign(pair.pkey.get(), payload);
  ASSERT_EQ(sig.size(), 256u);
  EXPECT_TRUE(key->verify(payload, sig));

  EXPECT_FALSE(key->verify(payload + "&x=1", sig));
  std::string flipped = sig;
  flipped[100] = static_cast<char>(flipped[100] ^ 0x80);
  EXPECT_FALSE(key->verify(payload, flipped));
  EXPECT_FALSE(key->verify(payload, sig.substr(0, 255)));
  EXPECT_FALSE(key->verify(payload, ""));
  EXPECT_FALSE(key->verify(payload, to_base64(sig)));
}

TEST(RsaPublicKey, PssSignatureIsNotPkcs1v15) {
  const auto& pair = rsa2048();
  auto key = RsaPublicKey::from_pem(pair.public_pem);
  ASSERT_TRUE(key.has_value());
  const std::string sig = rsa_sign(pair.pkey.get(), "payload", /*pss=*/true);
  EXPECT_FALSE(key->verify("payload", sig));
}

TEST(RsaPublicKey, SignatureOfAnotherKeyFails) {
  auto other = generate_rsa(2048);
  auto key = RsaPublicKey::from_pem(rsa2048().public_pem);
  ASSERT_TRUE(key.has_value());
  EXPECT_FALSE(key->verify("payload", rsa_sign(other.pkey.get(), "payload")));
}

TEST(RsaPublicKey, MovedKeyStillVerifies) {
  const auto& pair = rsa2048();
  auto key = RsaPublicKey::from_pem(pair.public_pem);
  ASSERT_TRUE(key.has_value());
  RsaPublicKey moved = std::move(*key);
  EXPECT_EQ(moved.bits(), 2048);
  EXPECT_TRUE(moved.verify("abc", rsa_sign(pair.pkey.get(), "abc")));
}

TEST(RsaPublicKey, FromPemRefuses1024BitsOtherKeysAndGarbage) {
  auto small = generate_rsa(1024);
  ASSERT_TRUE(small.pkey);
  EXPECT_FALSE(RsaPublicKey::from_pem(small.public_pem).has_value());
  EXPECT_FALSE(RsaPublicKey::from_pem(spki_pem(kEd25519Prefix, kRfc8032[0].public_hex)).has_value());
  EXPECT_FALSE(RsaPublicKey::from_pem("").has_value());
  EXPECT_FALSE(RsaPublicKey::from_pem("-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n").has_value());
}

}  // namespace
}  // namespace kg::crypto
