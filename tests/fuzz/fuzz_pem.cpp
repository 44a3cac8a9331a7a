// libFuzzer target: what keygate decodes from text a client or the database hands it (crypto/):
// PEM public keys uploaded for Ed25519 and RSA API keys, hex/base64/base32, 32-byte hex HMAC
// signatures, and sealed secrets. Oracles: decode(encode(x)) == x, and a decoded text re-encodes to
// itself where the encoding is canonical; an uploaded Ed25519 key written back as PEM reads as the
// same key; garbage never verifies a signature and never unseals, while a real signature (made
// with openssl for the keys below) verifies and any change to it or to its payload does not.
// Input: byte 0 picks the mode, the rest is its data.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/encoding.hpp"
#include "crypto/sealer.hpp"
#include "crypto/signature.hpp"

namespace {
using namespace kg::crypto;

void check(bool cond) {
  if (!cond) std::abort();
}

// Generated for this target: `openssl genpkey -algorithm ed25519` / `-algorithm RSA` (2048 bits),
// the payload signed with `openssl pkeyutl -sign -rawin` and `openssl dgst -sha256 -sign`.
constexpr std::string_view kPayload =
    "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=0.1&timestamp=1499827319559";
constexpr std::string_view kEdPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAKdDUv0WAnDu59EufLhgR0eSa+bQgwsq4npggk6Ubz+s=\n"
    "-----END PUBLIC KEY-----\n";
constexpr std::string_view kEdSigHex =
    "e01a003856c6f2722237de70353ac4844edb1056f60fef9fab3e68f91414bd85"
    "44833c95a971a5728f80c9525d9f08a2f36639f29814a8fcd742b98936f7fb0d";
constexpr std::string_view kRsaPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmAoWyvgm1F0ngYXMPPjt\n"
    "pVpWO5h196+2ESoEaWQunoRgpQIsCflmtL2UzDpAYYr8bBr1uuh6swx5Ku8eb6t+\n"
    "RZlMVnwb2e5EuEHLd+rhNfIXas/9cqYgm8Yop9pgxHuTIH7es6pdVqTobUj74MvE\n"
    "HO01sLOPwWWkxvgSJskaGIGinyUBnaoA/66OdwfLuEcUE6o34KF9BRHCoPQ6wsXY\n"
    "T/B8rRYUvoZJdPdpBxRksOtKtHYtRXZRX2C2X54OpKcip8iP2IAhc19Jf2inAP72\n"
    "qpL2pamSb0PKzJ9Tp+3pVn1SKFkL4b4ULasbkUBNSLtXhCX9zTArWp1Y4q/9WiHV\n"
    "ZwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";
constexpr std::string_view kRsaSigBase64 =
    "FpI4ju4gLuOcmMEw7znQP9E5iDTtxejMPuZgVr+fmzOOsVoXZj7OwYhrtc7qDAuO3V8BXR7CtyaMYZ4D/4c2gK+OTxcv"
    "aj5/v1XPiHFV8oY7pv4huIILpUkX2+CXhpxWQwYSwDCty+qxO8fPkwpyYTu5Cgp+/N69EBY8IvRQpEkryGrH4KSLQPdV"
    "wf2LZWLxrv/mFC044fQwiImkwDgK5hiKoeLu4IDYJd6rkGEhsQus4dCqABOz/zV5Qsvyu6c+4+QFUhlwMI9T+3F1kVaf"
    "k3a33MeCS2j0lMAVmH5o15tbOXwZyRe5N2IhppJ86lnlRRUs/MnNciWsRGTN8a0MmA==";
// SubjectPublicKeyInfo of an Ed25519 key up to the 32 key bytes (RFC 8410).
constexpr std::string_view kEdSpkiPrefix{"\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12};

struct Fixed {
  Ed25519PublicKey ed = *Ed25519PublicKey::from_pem(kEdPem);
  std::string ed_sig = *from_hex(kEdSigHex);
  RsaPublicKey rsa = *RsaPublicKey::from_pem(kRsaPem);
  std::string rsa_sig = *from_base64(kRsaSigBase64);
  HmacSha256Key hmac{"fuzz-secret-NhAnjUpgfpmlDoHBnFt1iDQtPXz6CbYK"};
  Sealer sealer{std::array<unsigned char, kMasterKeySize>{
      1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
      17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}};
};

const Fixed& fixed() {
  static const Fixed f;
  // The oracles below lean on these: if they ever stop verifying, the target is stale.
  static const bool sane =
      f.ed.verify(kPayload, f.ed_sig) && f.rsa.verify(kPayload, f.rsa_sig) && f.rsa.bits() == 2048;
  check(sane);
  return f;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string pem_of(std::string_view der) {
  std::string b64 = to_base64(der), out = "-----BEGIN PUBLIC KEY-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END PUBLIC KEY-----\n";
}

// Mode 0: the text is an uploaded publicKey.
void uploaded_key(std::string_view pem) {
  const std::string garbage_sig(pem.substr(0, 64));
  if (auto ed = Ed25519PublicKey::from_pem(pem)) {
    check(ed->raw().size() == 32);
    auto again = Ed25519PublicKey::from_pem(pem_of(std::string(kEdSpkiPrefix) + ed->raw()));
    check(again && again->raw() == ed->raw());
    check(!ed->verify(kPayload, garbage_sig) && !ed->verify(pem, std::string(64, '\0')));
  } else if (auto rsa = RsaPublicKey::from_pem(pem)) {
    check(rsa->bits() == 2048 || rsa->bits() == 4096);
    check(!rsa->verify(kPayload, garbage_sig) && !rsa->verify(kPayload, fixed().rsa_sig.substr(1)));
  }
}

// Mode 1: encodings, of the data as bytes and of the data as text.
void encodings(std::string_view data) {
  check(from_hex(to_hex(data)) == std::string(data));
  check(from_base64(to_base64(data)) == std::string(data));
  check(from_base32(to_base32(data)) == std::string(data));
  if (auto bytes = from_hex(data)) check(to_hex(*bytes) == lower(data));
  // libsodium's strict base64 (padding, zero trailing bits, no spaces) has one text per value.
  if (auto bytes = from_base64(data)) check(to_base64(*bytes) == data);
  if (auto bytes = from_base32(data)) check(from_base32(to_base32(*bytes)) == bytes);
  unsigned char out[32];
  const bool ok32 = decode_hex32(data, out);
  auto bytes = from_hex(data);
  check(ok32 == (bytes && bytes->size() == 32));
  if (ok32) check(std::string_view(reinterpret_cast<const char*>(out), 32) == *bytes);
  const std::string_view a = data.substr(0, data.size() / 2), b = data.substr(data.size() / 2);
  check(equal_constant_time(a, b) == (a == b));
  check(equal_constant_time(data, data));
}

// Mode 2: a real signature, changed (or not) where the input says.
void signatures(std::string_view data) {
  if (data.size() < 4) return;
  const Fixed& f = fixed();
  const auto where = static_cast<unsigned char>(data[0]);
  const size_t pos = static_cast<unsigned char>(data[1]) |
                     (static_cast<size_t>(static_cast<unsigned char>(data[2])) << 8);
  const auto flip = static_cast<char>(data[3]);
  const std::string_view extra = data.substr(4);
  std::string payload(kPayload), ed_sig = f.ed_sig, rsa_sig = f.rsa_sig;
  switch (where % 6) {
    case 0:
      ed_sig[pos % ed_sig.size()] ^= flip;
      break;
    case 1:
      rsa_sig[pos % rsa_sig.size()] ^= flip;
      break;
    case 2:
      payload[pos % payload.size()] ^= flip;
      break;
    case 3:
      payload += extra;
      break;
    case 4:
      ed_sig.resize(pos % (ed_sig.size() + 2), flip);
      break;
    default:
      rsa_sig.resize(pos % (rsa_sig.size() + 2), flip);
      break;
  }
  check(f.ed.verify(payload, ed_sig) == (payload == kPayload && ed_sig == f.ed_sig));
  check(f.rsa.verify(payload, rsa_sig) == (payload == kPayload && rsa_sig == f.rsa_sig));
  // The signatures of one kind never pass as the other's.
  check(!f.ed.verify(payload, rsa_sig.substr(0, 64)) && !f.rsa.verify(payload, ed_sig));

  // HMAC: a hex signature verifies exactly when it spells the MAC, in either case.
  const std::string mac = f.hmac.mac(payload);
  check(f.hmac.verify_hex(payload, f.hmac.sign_hex(payload)));
  auto given = from_hex(extra);
  check(f.hmac.verify_hex(payload, extra) == (given && *given == mac));
  check(f.hmac.verify_raw(payload, extra) == (extra == mac));
  std::string upper = f.hmac.sign_hex(payload);
  for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
  check(f.hmac.verify_hex(payload, upper));
}

// Mode 3: sealed secrets. What the input seals opens only under its own context and unchanged;
// the input as a stored value never opens.
void sealed(std::string_view data) {
  if (data.size() < 3) return;
  const Fixed& f = fixed();
  const size_t pos = static_cast<unsigned char>(data[0]) |
                     (static_cast<size_t>(static_cast<unsigned char>(data[1])) << 8);
  data.remove_prefix(2);
  const std::string_view plaintext = data.substr(0, data.size() / 2),
                         context = data.substr(data.size() / 2);
  const std::string box = f.sealer.seal(plaintext, context);
  check(box.starts_with("v1:"));
  check(f.sealer.unseal(box, context) == std::string(plaintext));
  check(!f.sealer.unseal(box, std::string(context) + "x"));
  std::string changed = box;
  changed[pos % changed.size()] ^= static_cast<char>(1 + pos % 255);
  check(!f.sealer.unseal(changed, context));
  check(!f.sealer.unseal(box.substr(0, pos % box.size()), context));
  check(!f.sealer.unseal(data, context) &&
        !f.sealer.unseal(std::string("v1:").append(data), context));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      uploaded_key(rest);
      break;
    case 1:
      encodings(rest);
      break;
    case 2:
      signatures(rest);
      break;
    default:
      sealed(rest);
      break;
  }
  return 0;
}
