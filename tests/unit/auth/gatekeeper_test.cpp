// The gatekeeper with a real KeyIndex, KeyService and AccessLog on SQLite and a manual clock:
// the order of its checks, the wire errors, the reasons the owner sees in the access log, and
// each signature type.

#include "auth/gatekeeper.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cctype>

#include <memory>
#include <optional>
#include <string>

#include "common/query.hpp"
#include "crypto/encoding.hpp"
#include "crypto/signature.hpp"
#include "keys/access_log.hpp"
#include "keys/keys_fixture.hpp"

namespace kg::auth {
namespace {

using keys::IssuedKey;
using keys::NewKey;
using keys::Permission;
using keys::test::kGoodCode;

struct Request {
  std::string api_key;
  std::string query;
  std::string body;
  std::string ip = "192.0.2.1";
  std::string method = "GET";
  std::string path = "/api/v3/account";
};

std::string ed25519_sign(std::string_view seed_hex, std::string_view payload) {
  const std::string seed = *crypto::from_hex(seed_hex);
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                                reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string sig(64, '\0');
  size_t len = sig.size();
  const bool ok = pkey && ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
                  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                                 reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  EXPECT_TRUE(ok && len == 64);
  return sig;
}

class GatekeeperTest : public keys::test::KeysFixture<kg::test::SqliteBackend> {
 protected:
  using Base = keys::test::KeysFixture<kg::test::SqliteBackend>;

  void SetUp() override {
    Base::SetUp();
    clock_.set_ms(1'700'000'100'000);
    log_ = std::make_unique<keys::AccessLog>(*store_, clock_, 1000, std::chrono::milliseconds(0));
    gate_ = std::make_unique<Gatekeeper>(index_, *log_, clock_);
  }
  void TearDown() override {
    gate_.reset();
    log_.reset();
    Base::TearDown();
  }

  Result<Authorised> check(const Request& r, Security security = Security::kUserData,
                           std::optional<Permission> required = std::nullopt) {
    auto params = parse_params(r.query, r.body);
    EXPECT_TRUE(params.ok()) << r.query << " | " << r.body;
    if (!params.ok()) return params.error();
    SignedRequest request{r.api_key, r.query, r.body, *params, r.ip, r.method, r.path};
    return gate_->check(request, security, required);
  }

  // "<params>&n=<unique>&timestamp=<now>" with its HMAC signature appended.
  Request hmac_request(const IssuedKey& key, const std::string& params = "symbol=BTCUSDT",
                       const std::string& secret = {}) {
    Request r;
    r.api_key = key.key.api_key;
    const std::string unsigned_query =
        params + "&n=" + std::to_string(++seq_) + "&timestamp=" + std::to_string(clock_.now_ms());
    r.query = unsigned_query + "&signature=" +
              crypto::HmacSha256Key(secret.empty() ? key.secret : secret).sign_hex(unsigned_query);
    return r;
  }

  IssuedKey create(std::vector<std::string> permissions = {"READ"}, bool read_only = false,
                   std::optional<std::vector<std::string>> ips = std::nullopt) {
    NewKey r = hmac_request_form(std::move(permissions));
    r.read_only = read_only;
    if (ips) {
      r.allow_all_ips = false;
      r.ip_allowlist = ips;
    }
    return create_ok(alice_, r);
  }
  static NewKey hmac_request_form(std::vector<std::string> permissions) { return Base::hmac_request(std::move(permissions)); }

  void expect_refused(const Result<Authorised>& result, int code, const std::string& msg = {}) {
    ASSERT_FALSE(result.ok()) << "expected " << code;
    EXPECT_EQ(result.error().code, code) << result.error().msg;
    if (!msg.empty()) {
      EXPECT_EQ(result.error().msg, msg);
    }
  }

  static Request bare(const IssuedKey& key) {
    Request r;
    r.api_key = key.key.api_key;
    return r;
  }

  std::string last_reason(const IssuedKey& key) {
    auto entries = log_->recent(key.key.id, 1);
    return entries.empty() ? "<no entry>" : entries[0].reason;
  }
  size_t log_size(const IssuedKey& key) { return log_->recent(key.key.id, 1000).size(); }

  std::unique_ptr<keys::AccessLog> log_;
  std::unique_ptr<Gatekeeper> gate_;
  int seq_ = 0;
};

TEST_F(GatekeeperTest, AcceptsAGoodHmacRequest) {
  auto key = create();
  auto ok = check(hmac_request(key));
  ASSERT_TRUE(ok.ok()) << ok.error().msg;
  EXPECT_EQ(ok->key, index_.find(key.key.api_key));
  // Nothing is logged until the handler's outcome is recorded.
  EXPECT_EQ(log_size(key), 0u);
  auto request = hmac_request(key);
  auto params = parse_params(request.query, request.body);
  SignedRequest sr{request.api_key, request.query, request.body, *params, request.ip, request.method, request.path};
  gate_->record(*ok->key, sr, 200);
  gate_->record(*ok->key, sr, 500);
  auto entries = log_->recent(key.key.id, 10);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].reason, "request failed with HTTP 500");
  EXPECT_FALSE(entries[0].ok);
  EXPECT_TRUE(entries[1].ok);
  EXPECT_EQ(entries[1].path, "/api/v3/account");
}

TEST_F(GatekeeperTest, BadKeyFormatIs2014) {
  for (const std::string& k : {std::string(), std::string(63, 'a'), std::string(65, 'a'), std::string(63, 'a') + "-",
                               std::string(63, 'a') + "="}) {
    Request r;
    r.api_key = k;
    r.query = "timestamp=" + std::to_string(clock_.now_ms()) + "&signature=00";
    expect_refused(check(r), -2014, "API-key format invalid.");
    expect_refused(check(r, Security::kUserStream), -2014);
  }
}

TEST_F(GatekeeperTest, UnknownKeyIs2015) {
  auto key = create();
  ASSERT_TRUE(service_->remove(alice_, key.key.api_key).ok());
  expect_refused(check(hmac_request(key)), -2015, "Invalid API-key, IP, or permissions for action.");
  Request r;
  r.api_key = std::string(64, 'A');
  expect_refused(check(r, Security::kUserStream), -2015);
}

TEST_F(GatekeeperTest, InactiveKeyIs2015WithItsReason) {
  auto key = create();
  ASSERT_TRUE(service_->set_active(alice_, key.key.api_key, false, std::nullopt).ok());
  auto refused = check(hmac_request(key));
  expect_refused(refused, -2015);
  EXPECT_EQ(refused.error().http, 401);
  EXPECT_EQ(last_reason(key), "key is inactive");
  // Checked before everything else that follows: a bad signature from a stranger is still "inactive".
  Request r = hmac_request(key, "symbol=BTCUSDT", "wrong secret");
  r.ip = "203.0.113.9";
  expect_refused(check(r, Security::kTrade, Permission::kWithdraw), -2015);
  EXPECT_EQ(last_reason(key), "key is inactive");
  expect_refused(check(bare(key), Security::kUserStream), -2015);
  EXPECT_EQ(last_reason(key), "key is inactive");
  // Active again: accepted.
  ASSERT_TRUE(service_->set_active(alice_, key.key.api_key, true, std::string(kGoodCode)).ok());
  EXPECT_TRUE(check(hmac_request(key)).ok());
}

TEST_F(GatekeeperTest, BlockedUserIsRefused) {
  auto key = create();
  auto bobs = create_ok(bob_, hmac_request_form({"READ"}));
  index_.set_user_blocked(alice_, true);
  expect_refused(check(hmac_request(key)), -2015);
  EXPECT_EQ(last_reason(key), "API access is disabled for this account");
  expect_refused(check(bare(key), Security::kUserStream), -2015);
  EXPECT_TRUE(check(hmac_request(bobs)).ok());
  index_.set_user_blocked(alice_, false);
  EXPECT_TRUE(check(hmac_request(key)).ok());
}

TEST_F(GatekeeperTest, ExpiredKey) {
  auto form = hmac_request_form({"READ"});
  form.expires_at = clock_.now_ms() + 10'000;
  auto key = create_ok(alice_, form);
  clock_.advance_ms(9'999);
  EXPECT_TRUE(check(hmac_request(key)).ok());
  clock_.advance_ms(1);
  expect_refused(check(hmac_request(key)), -2015);
  EXPECT_EQ(last_reason(key), "key has expired");
  expect_refused(check(bare(key), Security::kUserStream), -2015);
}

TEST_F(GatekeeperTest, IpNotInTheAllowlistIsNamed) {
  auto key = create({"READ"}, false, std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32"});
  Request r = hmac_request(key);
  r.ip = "192.0.2.55";
  expect_refused(check(r), -2015);
  EXPECT_EQ(last_reason(key), "IP 192.0.2.55 is not in the allowlist");
  r = hmac_request(key);
  r.ip = "2001:db9::1";
  expect_refused(check(r), -2015);
  EXPECT_EQ(last_reason(key), "IP 2001:db9::1 is not in the allowlist");

  for (const char* ip : {"10.1.2.3", "::ffff:10.1.2.3", "2001:db8::1"}) {
    r = hmac_request(key);
    r.ip = ip;
    EXPECT_TRUE(check(r).ok()) << ip;
  }
  // Also for USER_STREAM, which has no signature.
  Request stream = bare(key);
  stream.ip = "192.0.2.55";
  expect_refused(check(stream, Security::kUserStream), -2015);
  stream.ip = "10.9.9.9";
  EXPECT_TRUE(check(stream, Security::kUserStream).ok());
}

TEST_F(GatekeeperTest, TimestampIsCheckedBeforeTheSignature) {
  auto key = create();
  // Signed correctly, but 5001 ms old.
  Request old = hmac_request(key);
  clock_.advance_ms(5001);
  auto refused = check(old);
  expect_refused(refused, -1021, "Timestamp for this request is outside of the recvWindow.");
  EXPECT_EQ(last_reason(key), "timestamp: Timestamp for this request is outside of the recvWindow.");

  // Too far ahead, with a bad signature too: the timestamp is reported.
  Request r;
  r.api_key = key.key.api_key;
  r.query = "timestamp=" + std::to_string(clock_.now_ms() + 1000) + "&signature=" + std::string(64, '0');
  expect_refused(check(r), -1021, "Timestamp for this request was 1000ms ahead of the server's time.");

  // Missing timestamp, and no signature either.
  r.query = "symbol=BTCUSDT";
  expect_refused(check(r), -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
  // recvWindow too large.
  r.query = "timestamp=" + std::to_string(clock_.now_ms()) + "&recvWindow=60001";
  expect_refused(check(r), -1131);
}

TEST_F(GatekeeperTest, RecvWindowWidensTheWindow) {
  auto key = create();
  Request r = hmac_request(key, "symbol=BTCUSDT&recvWindow=10000");
  clock_.advance_ms(9000);
  EXPECT_TRUE(check(r).ok());
}

TEST_F(GatekeeperTest, MissingSignatureIs1102) {
  auto key = create();
  Request r;
  r.api_key = key.key.api_key;
  r.query = "symbol=BTCUSDT&timestamp=" + std::to_string(clock_.now_ms());
  expect_refused(check(r), -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
  EXPECT_EQ(last_reason(key), "no signature");
  r.query += "&signature=";
  expect_refused(check(r), -1102);
  r.query = "symbol=BTCUSDT&timestamp=" + std::to_string(clock_.now_ms()) + "&signature";
  expect_refused(check(r), -1102);
}

TEST_F(GatekeeperTest, BadSignatureIs1022) {
  auto key = create();
  for (const std::string& secret : {std::string("wrong"), key.secret + "x", key.secret.substr(0, 63)}) {
    expect_refused(check(hmac_request(key, "symbol=BTCUSDT", secret)), -1022,
                   "Signature for this request is not valid.");
  }
  EXPECT_EQ(last_reason(key), "signature is not valid");
  // A parameter changed after signing.
  Request r = hmac_request(key, "symbol=BTCUSDT&quantity=1");
  r.query.replace(r.query.find("quantity=1"), 10, "quantity=9");
  expect_refused(check(r), -1022);
  // Upper-case hex of a good signature is fine.
  r = hmac_request(key);
  const size_t at = r.query.find("signature=") + 10;
  for (size_t i = at; i < r.query.size(); ++i) r.query[i] = static_cast<char>(std::toupper(r.query[i]));
  EXPECT_TRUE(check(r).ok());
  // Another key's secret.
  auto other = create();
  expect_refused(check(hmac_request(key, "symbol=BTCUSDT", other.secret)), -1022);
}

TEST_F(GatekeeperTest, ReplayIs1022WithItsOwnMessage) {
  auto key = create();
  Request r = hmac_request(key);
  ASSERT_TRUE(check(r).ok());
  // Method and path are not signed: the same signature sent to another endpoint is a replay too.
  Request elsewhere = r;
  elsewhere.path = "/api/v3/openOrders";
  expect_refused(check(elsewhere), -1022, "Signature for this request was already used.");
  elsewhere.method = "DELETE";
  expect_refused(check(elsewhere), -1022, "Signature for this request was already used.");
  auto replay = check(r);
  expect_refused(replay, -1022, "Signature for this request was already used.");
  EXPECT_EQ(last_reason(key), "signature was already used (replay)");
  // Still a replay a little later, within the window.
  clock_.advance_ms(4000);
  expect_refused(check(r), -1022, "Signature for this request was already used.");
  // Past the window, the timestamp refuses it.
  clock_.advance_ms(1001);
  expect_refused(check(r), -1021);
  // An invalid signature repeated is "not valid", never "already used".
  Request bad = hmac_request(key, "symbol=BTCUSDT", "wrong");
  expect_refused(check(bad), -1022, "Signature for this request is not valid.");
  expect_refused(check(bad), -1022, "Signature for this request is not valid.");
  // USER_STREAM requests carry no signature and are never replays.
  Request stream = bare(key);
  EXPECT_TRUE(check(stream, Security::kUserStream).ok());
  EXPECT_TRUE(check(stream, Security::kUserStream).ok());
}

// BUG (src/auth/gatekeeper.cpp, the replay_.first_use call): the replay guard fingerprints the
// signature *text*, while verify_hex accepts hex in either case. A captured request replayed with
// its signature in upper (or mixed) case verifies and is not recognised as a replay, so one
// signature can be used many times within the recvWindow.
TEST_F(GatekeeperTest, ReplayWithTheHexSignatureInAnotherCaseIsStillAReplay) {
  auto key = create();
  Request r = hmac_request(key);
  ASSERT_TRUE(check(r).ok());
  const size_t at = r.query.find("signature=") + 10;
  Request upper = r;
  for (size_t i = at; i < upper.query.size(); ++i) {
    upper.query[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper.query[i])));
  }
  ASSERT_NE(upper.query, r.query);  // the signature has letters
  expect_refused(check(upper), -1022, "Signature for this request was already used.");
  Request mixed = r;
  for (size_t i = at; i < mixed.query.size(); i += 2) {
    mixed.query[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(mixed.query[i])));
  }
  if (mixed.query != r.query && mixed.query != upper.query) {
    expect_refused(check(mixed), -1022, "Signature for this request was already used.");
  }
}

TEST_F(GatekeeperTest, MissingPermission) {
  auto key = create({"READ"});
  EXPECT_TRUE(check(hmac_request(key), Security::kUserData, Permission::kRead).ok());
  for (Permission p : {Permission::kTrade, Permission::kConvert, Permission::kDeposit}) {
    expect_refused(check(hmac_request(key), Security::kTrade, p), -2015,
                   "Invalid API-key, IP, or permissions for action.");
    EXPECT_EQ(last_reason(key), "key lacks the " + std::string(keys::permission_name(p)) + " permission");
  }
  for (Permission p : {Permission::kWithdraw, Permission::kTransfer}) {
    auto refused = check(hmac_request(key), Security::kTrade, p);
    expect_refused(refused, -1002, "You are not authorized to execute this request.");
    EXPECT_EQ(refused.error().http, 401);
    EXPECT_EQ(last_reason(key), "key lacks the " + std::string(keys::permission_name(p)) + " permission");
  }
  // A key without READ.
  auto trader = create({"TRADE"});
  expect_refused(check(hmac_request(trader), Security::kUserData, Permission::kRead), -2015);
  EXPECT_EQ(last_reason(trader), "key lacks the READ permission");
  EXPECT_TRUE(check(hmac_request(trader), Security::kTrade, Permission::kTrade).ok());
}

TEST_F(GatekeeperTest, PermissionIsCheckedAfterTheSignature) {
  auto key = create({"READ"});
  Request bad = hmac_request(key, "symbol=BTCUSDT", "wrong");
  expect_refused(check(bad, Security::kTrade, Permission::kWithdraw), -1022);
  // A good signature refused for its permission is still used up.
  Request good = hmac_request(key);
  expect_refused(check(good, Security::kTrade, Permission::kWithdraw), -1002);
  expect_refused(check(good, Security::kUserData, Permission::kRead), -1022,
                 "Signature for this request was already used.");
}

TEST_F(GatekeeperTest, ReadOnlyReason) {
  auto key = create({"READ", "TRADE", "WITHDRAW"}, true);
  EXPECT_TRUE(check(hmac_request(key), Security::kUserData, Permission::kRead).ok());
  expect_refused(check(hmac_request(key), Security::kTrade, Permission::kTrade), -2015);
  EXPECT_EQ(last_reason(key), "key lacks the TRADE permission (read-only)");
  expect_refused(check(hmac_request(key), Security::kTrade, Permission::kWithdraw), -1002);
  EXPECT_EQ(last_reason(key), "key lacks the WITHDRAW permission (read-only)");
  // A permission the key never had is not called read-only.
  expect_refused(check(hmac_request(key), Security::kTrade, Permission::kConvert), -2015);
  EXPECT_EQ(last_reason(key), "key lacks the CONVERT permission");
}

TEST_F(GatekeeperTest, TradeLapsesWithoutAnAllowlist) {
  auto key = create({"READ", "TRADE"});
  ASSERT_NE(key.key.trade_expires_at, 0);
  EXPECT_TRUE(check(hmac_request(key), Security::kTrade, Permission::kTrade).ok());
  clock_.set_ms(key.key.trade_expires_at - 1);
  EXPECT_TRUE(check(hmac_request(key), Security::kTrade, Permission::kTrade).ok());
  clock_.set_ms(key.key.trade_expires_at);
  expect_refused(check(hmac_request(key), Security::kTrade, Permission::kTrade), -2015);
  EXPECT_EQ(last_reason(key), "TRADE lapsed: the key has no IP allowlist");
  EXPECT_TRUE(check(hmac_request(key), Security::kUserData, Permission::kRead).ok());
}

TEST_F(GatekeeperTest, UserStreamNeedsOnlyTheKey) {
  auto key = create();
  Request r = bare(key);  // no timestamp, no signature
  auto ok = check(r, Security::kUserStream);
  ASSERT_TRUE(ok.ok()) << ok.error().msg;
  // Even a stale timestamp and a bad signature are not looked at.
  r.query = "timestamp=1&signature=zz";
  EXPECT_TRUE(check(r, Security::kUserStream).ok());
  // The same request as USER_DATA is refused.
  r.query.clear();
  expect_refused(check(r, Security::kUserData), -1102);
  expect_refused(check(r, Security::kTrade), -1102);
}

TEST_F(GatekeeperTest, PreviousHmacSecretOnlyBeforePreviousUntil) {
  auto key = create();
  auto rotated = service_->rotate(alice_, key.key.api_key, kGoodCode, 60);
  ASSERT_TRUE(rotated.ok());
  const int64_t until = clock_.now_ms() + 60'000;
  ASSERT_EQ(index_.find(key.key.api_key)->previous_until, until);

  EXPECT_TRUE(check(hmac_request(key, "symbol=BTCUSDT", rotated->secret)).ok());
  EXPECT_TRUE(check(hmac_request(key)).ok());  // the old secret
  clock_.set_ms(until - 1);
  EXPECT_TRUE(check(hmac_request(key)).ok());
  clock_.set_ms(until);
  expect_refused(check(hmac_request(key)), -1022, "Signature for this request is not valid.");
  EXPECT_TRUE(check(hmac_request(key, "symbol=BTCUSDT", rotated->secret)).ok());
  clock_.advance_ms(3'600'000);
  expect_refused(check(hmac_request(key)), -1022);
  EXPECT_TRUE(check(hmac_request(key, "symbol=BTCUSDT", rotated->secret)).ok());
}

class GatekeeperEd25519Test : public GatekeeperTest {
 protected:
  IssuedKey create_ed25519() {
    auto form = hmac_request_form({"READ", "TRADE"});
    form.type = "ED25519";
    form.public_key = keys::test::kEd25519Pem;
    return create_ok(alice_, form);
  }
  // A query whose base64 signature contains '+' and '/', and that signature.
  std::pair<std::string, std::string> query_with_plus() {
    for (int n = 0;; ++n) {
      const std::string q = "symbol=BTCUSDT&n=" + std::to_string(n) + "&timestamp=" + std::to_string(clock_.now_ms());
      const std::string sig = crypto::to_base64(ed25519_sign(keys::test::kEd25519SeedHex, q));
      if (sig.find('+') != std::string::npos) return {q, sig};
    }
  }
};

TEST_F(GatekeeperEd25519Test, PercentEncodedBase64SignatureVerifies) {
  auto key = create_ed25519();
  auto [q, sig] = query_with_plus();
  std::string encoded;
  for (char c : sig) {
    if (c == '+') encoded += "%2B";
    else if (c == '/') encoded += "%2F";
    else if (c == '=') encoded += "%3D";
    else encoded += c;
  }
  Request r;
  r.api_key = key.key.api_key;
  r.query = q + "&signature=" + encoded;
  auto ok = check(r, Security::kTrade, Permission::kTrade);
  ASSERT_TRUE(ok.ok()) << ok.error().msg;
}

TEST_F(GatekeeperEd25519Test, PlusTurnedIntoSpaceByFormDecodingStillVerifies) {
  auto key = create_ed25519();
  auto [q, sig] = query_with_plus();
  Request r;
  r.api_key = key.key.api_key;
  r.query = q + "&signature=" + sig;  // '+' left raw: decoded to ' '
  auto params = parse_params(r.query, r.body);
  ASSERT_NE(params->get("signature")->find(' '), std::string::npos);
  auto ok = check(r);
  ASSERT_TRUE(ok.ok()) << ok.error().msg;
}

// BUG (same cause as above): "%2B" and a raw '+' (decoded to ' ') are two spellings of one
// base64 signature; the second is accepted as a first use.
TEST_F(GatekeeperEd25519Test, ReplayWithTheSignatureSpelledDifferentlyIsStillAReplay) {
  auto key = create_ed25519();
  auto [q, sig] = query_with_plus();
  std::string encoded;
  for (char c : sig) encoded += c == '+' ? std::string("%2B") : std::string(1, c);
  Request r;
  r.api_key = key.key.api_key;
  r.query = q + "&signature=" + encoded;
  ASSERT_TRUE(check(r).ok());
  r.query = q + "&signature=" + sig;  // '+' arrives as ' '
  expect_refused(check(r), -1022, "Signature for this request was already used.");
}

TEST_F(GatekeeperEd25519Test, BadEd25519Signatures) {
  auto key = create_ed25519();
  auto [q, sig] = query_with_plus();
  Request r;
  r.api_key = key.key.api_key;
  // Signed bytes differ from the payload sent.
  r.query = q + "&x=1&signature=" + sig;
  expect_refused(check(r), -1022);
  // Not base64.
  r.query = q + "&signature=%21%21%21";
  expect_refused(check(r), -1022);
  // Hex instead of base64.
  r.query = q + "&signature=" + crypto::to_hex(ed25519_sign(keys::test::kEd25519SeedHex, q));
  expect_refused(check(r), -1022);
  // The same signature base64-encoded once, correctly, is accepted (once).
  r.query = q + "&signature=" + sig;
  EXPECT_TRUE(check(r).ok());
  expect_refused(check(r), -1022, "Signature for this request was already used.");
}

TEST_F(GatekeeperTest, RsaSignatureVerifies) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_RSA_gen(2048), &EVP_PKEY_free);
  ASSERT_TRUE(pkey);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, pkey.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);

  auto form = hmac_request_form({"READ"});
  form.type = "RSA";
  form.public_key = pem;
  auto key = create_ok(alice_, form);
  ASSERT_NE(index_.find(key.key.api_key)->rsa, nullptr);

  const std::string q = "symbol=BTCUSDT&timestamp=" + std::to_string(clock_.now_ms());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t sig_len = 0;
  ASSERT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey.get()), 1);
  ASSERT_EQ(EVP_DigestSign(ctx, nullptr, &sig_len, reinterpret_cast<const unsigned char*>(q.data()), q.size()), 1);
  std::string sig(sig_len, '\0');
  ASSERT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                           reinterpret_cast<const unsigned char*>(q.data()), q.size()),
            1);
  EVP_MD_CTX_free(ctx);

  Request r;
  r.api_key = key.key.api_key;
  std::string flipped = sig;
  flipped[0] = static_cast<char>(flipped[0] ^ 1);
  r.query = q + "&signature=" + crypto::to_base64(flipped);
  expect_refused(check(r), -1022);
  r.query = q + "&signature=" + crypto::to_base64(sig);  // '+' may be damaged into ' ': still fine
  auto ok = check(r);
  ASSERT_TRUE(ok.ok()) << ok.error().msg;
}

TEST_F(GatekeeperTest, PayloadSplitBetweenQueryAndBody) {
  auto key = create({"READ", "TRADE"}, false, std::vector<std::string>{"192.0.2.0/24"});
  const std::string query = "symbol=BTCUSDT&side=BUY";
  const std::string body = "type=LIMIT&quantity=1&price=0.1&timestamp=" + std::to_string(clock_.now_ms());
  // Query and body concatenated with no separator.
  const std::string sig = crypto::HmacSha256Key(key.secret).sign_hex(query + body);
  Request r;
  r.api_key = key.key.api_key;
  r.method = "POST";
  r.path = "/api/v3/order";
  r.query = query;
  r.body = body + "&signature=" + sig;
  auto ok = check(r, Security::kTrade, Permission::kTrade);
  ASSERT_TRUE(ok.ok()) << ok.error().msg;

  // The signature may be in the query while the rest is in the body.
  const std::string body2 = "type=LIMIT&quantity=2&timestamp=" + std::to_string(clock_.now_ms());
  const std::string sig2 = crypto::HmacSha256Key(key.secret).sign_hex(query + body2);
  r.query = query + "&signature=" + sig2;
  r.body = body2;
  ok = check(r, Security::kTrade, Permission::kTrade);
  ASSERT_TRUE(ok.ok()) << ok.error().msg;

  // Signing with a '&' between query and body is not what Binance does.
  const std::string body3 = "type=LIMIT&quantity=3&timestamp=" + std::to_string(clock_.now_ms());
  r.query = query;
  r.body = body3 + "&signature=" + crypto::HmacSha256Key(key.secret).sign_hex(query + "&" + body3);
  expect_refused(check(r, Security::kTrade, Permission::kTrade), -1022);
}

TEST_F(GatekeeperTest, DeactivationAndDeletionTakeEffectOnTheNextRequest) {
  auto key = create();
  EXPECT_TRUE(check(hmac_request(key)).ok());
  ASSERT_TRUE(service_->set_active(alice_, key.key.api_key, false, std::nullopt).ok());
  expect_refused(check(hmac_request(key)), -2015);
  ASSERT_TRUE(service_->remove(alice_, key.key.api_key).ok());
  expect_refused(check(hmac_request(key)), -2015);
  // The entry of the deleted key is no longer logged to.
  EXPECT_TRUE(log_->recent(key.key.id, 10).empty());
}

}  // namespace
}  // namespace kg::auth
