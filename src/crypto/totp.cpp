#include "crypto/totp.hpp"

#include <liboath/oath.h>

#include "common/query.hpp"

#include <cctype>
#include <stdexcept>

namespace kg::crypto {

namespace {
void ensure_oath() {
  static const bool ready = oath_init() == OATH_OK;
  if (!ready) throw std::runtime_error("liboath failed to initialise");
}

// The otpauth URI's label and issuer: RFC 3986's unreserved characters, and '@' of emails.
std::string uri_escape(std::string_view s) { return percent_encode(s, "-._~@"); }
}  // namespace

std::string totp_code(std::string_view secret, int64_t unix_seconds, int digits) {
  ensure_oath();
  char out[16] = {};
  int rc = oath_totp_generate2(secret.data(), secret.size(), static_cast<time_t>(unix_seconds),
                               kTotpStepSeconds, 0, static_cast<unsigned>(digits), 0, out);
  if (rc != OATH_OK) throw std::runtime_error("TOTP generation failed");
  return out;
}

std::optional<int64_t> totp_match(std::string_view secret, std::string_view code,
                                  int64_t unix_seconds, int window) {
  ensure_oath();
  if (code.size() != static_cast<size_t>(kTotpDigits)) return std::nullopt;
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::string z(code);
  int pos = 0;
  uint64_t counter = 0;
  int rc = oath_totp_validate4(secret.data(), secret.size(), static_cast<time_t>(unix_seconds),
                               kTotpStepSeconds, 0, static_cast<size_t>(window), &pos, &counter,
                               0, z.c_str());
  if (rc < 0) return std::nullopt;
  return static_cast<int64_t>(counter);
}

std::string totp_uri(std::string_view issuer, std::string_view account,
                     std::string_view base32_secret) {
  return "otpauth://totp/" + uri_escape(issuer) + ":" + uri_escape(account) +
         "?secret=" + std::string(base32_secret) + "&issuer=" + uri_escape(issuer) +
         "&algorithm=SHA1&digits=6&period=30";
}

}  // namespace kg::crypto
