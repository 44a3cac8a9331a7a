// The Ed25519 verify limit of one core: how many signatures libsodium's
// crypto_sign_verify_detached checks a second, on the payload keygate verifies for a signed
// `GET /api/v3/account` ("recvWindow=60000&timestamp=<16 digits>"), each message distinct. Rounds
// alternate the bare libsodium call with keygate's own verifier (crypto::Ed25519PublicKey, made
// from a PEM as the key service makes it) on the same signatures, so that the limit and what
// keygate's wrapper costs are measured together; the figures are medians over the rounds.
// bench/ceiling.sh runs it next to its HTTP runs (the goal: keygate's Ed25519 account req/s within
// 10% of this limit). Both wall time and the thread's CPU time are measured: on a core shared with
// other work the CPU time is the steadier figure of what one verify costs.
//
//   build/bench/kg_bench_ed25519 [rounds=7] [verifies_per_round=20000]
//
// The last line, "KGED25519 key=value ...", is for scripts.

#include <sodium.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "crypto/encoding.hpp"
#include "crypto/signature.hpp"

using Clock_ = std::chrono::steady_clock;

namespace {

double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// SubjectPublicKeyInfo of an Ed25519 key (RFC 8410): a fixed 12-byte header, then the 32 bytes.
std::string public_pem(const unsigned char pk[crypto_sign_PUBLICKEYBYTES]) {
  static const unsigned char kHeader[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  std::string der(reinterpret_cast<const char*>(kHeader), sizeof kHeader);
  der.append(reinterpret_cast<const char*>(pk), crypto_sign_PUBLICKEYBYTES);
  return "-----BEGIN PUBLIC KEY-----\n" + kg::crypto::to_base64(der) + "\n-----END PUBLIC KEY-----\n";
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  const int per_round = argc > 2 ? std::atoi(argv[2]) : 20000;
  if (sodium_init() < 0 || rounds < 1 || per_round < 1) {
    std::fprintf(stderr, "usage: kg_bench_ed25519 [rounds] [verifies_per_round]\n");
    return 2;
  }
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  auto verifier = kg::crypto::Ed25519PublicKey::from_pem(public_pem(pk));
  if (!verifier) {
    std::fprintf(stderr, "ed25519 bench: keygate does not read the public key's PEM\n");
    return 1;
  }

  // Distinct messages (microsecond timestamps, as bench/http_gen.mjs makes them) and signatures.
  std::vector<std::string> messages, signatures;
  const long long t0 = 1763700000000000LL;
  for (int i = 0; i < per_round; ++i) {
    messages.push_back("recvWindow=60000&timestamp=" + std::to_string(t0 + i));
    std::string sig(crypto_sign_BYTES, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(messages.back().data()), messages.back().size(), sk);
    signatures.push_back(std::move(sig));
  }

  std::vector<double> bare_ns, keygate_ns, bare_cpu_ns;
  int failures = 0;
  for (int r = 0; r < rounds; ++r) {
    const double cpu0 = thread_cpu_ns();
    auto start = Clock_::now();
    for (int i = 0; i < per_round; ++i) {
      const std::string& m = messages[static_cast<size_t>(i)];
      failures += crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signatures[static_cast<size_t>(i)].data()),
                                              reinterpret_cast<const unsigned char*>(m.data()), m.size(), pk) != 0;
    }
    bare_ns.push_back(std::chrono::duration<double, std::nano>(Clock_::now() - start).count() / per_round);
    bare_cpu_ns.push_back((thread_cpu_ns() - cpu0) / per_round);

    start = Clock_::now();
    for (int i = 0; i < per_round; ++i) {
      failures += !verifier->verify(messages[static_cast<size_t>(i)], signatures[static_cast<size_t>(i)]);
    }
    keygate_ns.push_back(std::chrono::duration<double, std::nano>(Clock_::now() - start).count() / per_round);
  }
  if (failures != 0) {
    std::fprintf(stderr, "ed25519 bench: %d valid signatures did not verify\n", failures);
    return 1;
  }

  const double b = median(bare_ns), k = median(keygate_ns), c = median(bare_cpu_ns);
  std::printf("ed25519 verify limit: %d rounds x %d distinct signatures, one core (libsodium %s)\n", rounds, per_round,
              sodium_version_string());
  std::printf("  crypto_sign_verify_detached          median %8.0f ns  (%.0f verifies/s)\n", b, 1e9 / b);
  std::printf("    CPU time of the thread              median %8.0f ns  (%.0f verifies per CPU second)\n", c, 1e9 / c);
  std::printf("  crypto::Ed25519PublicKey::verify     median %8.0f ns  (%.0f verifies/s, ratio %.3f)\n", k, 1e9 / k,
              k / b);
  std::printf("KGED25519 bare_ns=%.1f bare_per_s=%.0f bare_cpu_ns=%.1f keygate_ns=%.1f keygate_per_s=%.0f\n", b, 1e9 / b, c, k,
              1e9 / k);
  return 0;
}
