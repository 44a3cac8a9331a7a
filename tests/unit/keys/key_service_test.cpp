// KeyService against every backend: creation and its validation, the per-user limit, listing,
// activation, deletion, rotation with a grace period, a restart (load), and revocation. Every
// change must be visible in the in-memory index as soon as the call returns.

#include "keys/key_service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "crypto/signature.hpp"
#include "keys/keys_fixture.hpp"

namespace kg::keys {
namespace {

using kg::test::Backends;
using test::kEd25519EmptySigHex;
using test::kEd25519Pem;
using test::kGoodCode;

template <typename Backend>
using KeyServiceTest = test::KeysFixture<Backend>;
TYPED_TEST_SUITE(KeyServiceTest, Backends);

constexpr const char* kPayload = "symbol=BTCUSDT&side=BUY&timestamp=1700000000000";

bool all_alnum(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
}

std::string sign_with(const std::string& secret, std::string_view payload) {
  return crypto::HmacSha256Key(secret).sign_hex(payload);
}

TYPED_TEST(KeyServiceTest, CreateHmacKeyIssuesKeyAndSecretOnce) {
  auto request = this->hmac_request({"READ", "TRADE"});
  request.label = "my bot";
  auto issued = this->service_->create(this->owner(this->alice_), request, kGoodCode);
  ASSERT_TRUE(issued.ok()) << issued.error().msg;
  EXPECT_EQ(this->totp_calls_, 1);
  EXPECT_EQ(this->totp_users_, std::vector<int64_t>{this->alice_});

  const ApiKey& key = issued->key;
  EXPECT_EQ(key.api_key.size(), 64u);
  EXPECT_TRUE(key.api_key.starts_with("kgAK")) << key.api_key;
  EXPECT_TRUE(all_alnum(key.api_key)) << key.api_key;
  EXPECT_TRUE(valid_api_key_format(key.api_key));
  EXPECT_EQ(issued->secret.size(), 64u);
  EXPECT_TRUE(issued->secret.starts_with("kgSK")) << issued->secret;
  EXPECT_TRUE(all_alnum(issued->secret)) << issued->secret;

  EXPECT_GT(key.id, 0);
  EXPECT_EQ(key.user_id, this->alice_);
  EXPECT_EQ(key.label, "my bot");
  EXPECT_EQ(key.type, KeyType::kHmacSha256);
  EXPECT_EQ(key.permissions, bit(Permission::kRead) | bit(Permission::kTrade));
  EXPECT_FALSE(key.read_only);
  EXPECT_TRUE(key.allowlist.empty());
  EXPECT_TRUE(key.active);
  EXPECT_EQ(key.created_at, this->kStartMs);
  EXPECT_EQ(key.expires_at, 0);
  EXPECT_TRUE(key.public_key.empty());

  // The index has it, with a verifier keyed by the returned secret.
  auto entry = this->index_.find(key.api_key);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->key.id, key.id);
  EXPECT_TRUE(entry->key.active);
  ASSERT_NE(entry->hmac, nullptr);
  EXPECT_TRUE(entry->hmac->verify_hex(kPayload, sign_with(issued->secret, kPayload)));
  EXPECT_FALSE(entry->hmac->verify_hex(kPayload, sign_with(issued->secret + "x", kPayload)));
  EXPECT_EQ(entry->previous_hmac, nullptr);
  EXPECT_EQ(entry->ed25519, nullptr);
  EXPECT_EQ(entry->rsa, nullptr);
  ASSERT_NE(entry->usage, nullptr);

  // The store keeps the secret sealed only.
  auto row = this->stored(key.api_key, "secret_sealed, public_key, user_id, key_type, previous_secret_sealed");
  ASSERT_TRUE(row.has_value());
  ASSERT_FALSE(row->is_null(0));
  const std::string sealed = row->text(0);
  EXPECT_TRUE(sealed.starts_with("v1:")) << sealed;
  EXPECT_EQ(sealed.find(issued->secret), std::string::npos);
  EXPECT_EQ(sealed.find(issued->secret.substr(4)), std::string::npos);
  EXPECT_EQ(sealed.find(crypto::to_base64(issued->secret)), std::string::npos);
  EXPECT_TRUE(row->is_null(1));
  EXPECT_EQ(row->int64(2), this->alice_);
  EXPECT_EQ(row->text(3), "HMAC_SHA256");
  EXPECT_TRUE(row->is_null(4));
  // Nothing in the row holds the secret.
  auto all = this->stored(key.api_key, "api_key, label, ip_allowlist, last_used_ip");
  for (size_t i = 0; i < all->size(); ++i) EXPECT_EQ(all->text(i).find(issued->secret), std::string::npos);
}

TYPED_TEST(KeyServiceTest, EveryKeyAndSecretIsNew) {
  std::set<std::string> seen;
  for (int i = 0; i < 4; ++i) {
    auto issued = this->create_ok(this->alice_);
    EXPECT_TRUE(seen.insert(issued.key.api_key).second);
    EXPECT_TRUE(seen.insert(issued.secret).second);
  }
  EXPECT_EQ(this->index_.size(), 4u);
  EXPECT_EQ(this->count_keys(), 4);
}

TYPED_TEST(KeyServiceTest, GeneratedIdentifiersHaveTheirFormat) {
  for (int i = 0; i < 50; ++i) {
    const std::string k = generate_api_key();
    const std::string s = generate_secret();
    EXPECT_TRUE(k.starts_with("kgAK") && k.size() == 64 && all_alnum(k)) << k;
    EXPECT_TRUE(s.starts_with("kgSK") && s.size() == 64 && all_alnum(s)) << s;
  }
  EXPECT_FALSE(valid_api_key_format(""));
  EXPECT_FALSE(valid_api_key_format(std::string(63, 'a')));
  EXPECT_FALSE(valid_api_key_format(std::string(65, 'a')));
  EXPECT_FALSE(valid_api_key_format(std::string(63, 'a') + "-"));
  EXPECT_FALSE(valid_api_key_format(std::string(63, 'a') + " "));
  EXPECT_TRUE(valid_api_key_format(std::string(64, 'a')));
}

// One invalid form per case; none of them may consume the TOTP code or write anything.
TYPED_TEST(KeyServiceTest, EveryValidationErrorAndTheCodeIsNotChecked) {
  struct Case {
    const char* name;
    int code;
    std::function<void(Owner&, NewKey&)> mutate;
  };
  const std::vector<std::string> ips31 = [] {
    std::vector<std::string> v;
    for (int i = 1; i <= 31; ++i) v.push_back("192.0.2." + std::to_string(i));
    return v;
  }();
  const std::vector<Case> cases = {
      {"api access disabled", -7107, [](Owner& o, NewKey&) { o.api_access = false; }},
      {"no 2FA", -7300, [](Owner& o, NewKey&) { o.two_factor_enabled = false; }},
      {"empty label", -7303, [](Owner&, NewKey& r) { r.label = ""; }},
      {"51-char label", -7303, [](Owner&, NewKey& r) { r.label = std::string(51, 'x'); }},
      {"control char in label", -7303, [](Owner&, NewKey& r) { r.label = "bot\n1"; }},
      {"DEL in label", -7303, [](Owner&, NewKey& r) { r.label = "bot\x7f"; }},
      {"no permissions", -7304, [](Owner&, NewKey& r) { r.permissions.clear(); }},
      {"unknown permission", -7305, [](Owner&, NewKey& r) { r.permissions = {"READ", "read"}; }},
      {"bad IP", -7306,
       [](Owner&, NewKey& r) {
         r.allow_all_ips = false;
         r.ip_allowlist = std::vector<std::string>{"192.0.2.1", "not-an-ip"};
       }},
      {"host bits set", -7306,
       [](Owner&, NewKey& r) {
         r.allow_all_ips = false;
         r.ip_allowlist = std::vector<std::string>{"10.0.0.1/8"};
       }},
      {"31 IPs", -7307,
       [&ips31](Owner&, NewKey& r) {
         r.allow_all_ips = false;
         r.ip_allowlist = ips31;
       }},
      {"allowlist and allowAllIps", -7308,
       [](Owner&, NewKey& r) { r.ip_allowlist = std::vector<std::string>{"192.0.2.1"}; }},
      {"neither allowlist nor allowAllIps", -7308, [](Owner&, NewKey& r) { r.allow_all_ips = false; }},
      {"empty allowlist", -7308,
       [](Owner&, NewKey& r) {
         r.allow_all_ips = false;
         r.ip_allowlist = std::vector<std::string>{};
       }},
      {"WITHDRAW without allowlist", -7309, [](Owner&, NewKey& r) { r.permissions = {"READ", "WITHDRAW"}; }},
      {"bad type", -7310, [](Owner&, NewKey& r) { r.type = "ECDSA"; }},
      {"lower-case type", -7310, [](Owner&, NewKey& r) { r.type = "hmac_sha256"; }},
      {"ED25519 without key", -7311, [](Owner&, NewKey& r) { r.type = "ED25519"; }},
      {"ED25519 with garbage", -7311,
       [](Owner&, NewKey& r) {
         r.type = "ED25519";
         r.public_key = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
       }},
      {"RSA with an Ed25519 key", -7311,
       [](Owner&, NewKey& r) {
         r.type = "RSA";
         r.public_key = kEd25519Pem;
       }},
      {"HMAC with a public key", -7312, [](Owner&, NewKey& r) { r.public_key = kEd25519Pem; }},
      {"expiry now", -7313, [this](Owner&, NewKey& r) { r.expires_at = this->clock_.now_ms(); }},
      {"expiry past", -7313, [this](Owner&, NewKey& r) { r.expires_at = this->clock_.now_ms() - 1; }},
      {"expiry zero", -7313, [](Owner&, NewKey& r) { r.expires_at = 0; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Owner o = this->owner(this->alice_);
    NewKey r = this->hmac_request();
    c.mutate(o, r);
    this->expect_error(this->service_->create(o, r, kGoodCode), c.code);
  }
  EXPECT_EQ(this->totp_calls_, 0);
  EXPECT_EQ(this->index_.size(), 0u);
  EXPECT_EQ(this->count_keys(), 0);
}

TYPED_TEST(KeyServiceTest, WrongTotpCodeIsRefusedAfterTheFormIsChecked) {
  auto issued = this->service_->create(this->owner(this->alice_), this->hmac_request(), "654321");
  this->expect_error(issued, -7201);
  EXPECT_EQ(this->totp_calls_, 1);
  issued = this->service_->create(this->owner(this->alice_), this->hmac_request(), "");
  this->expect_error(issued, -7201);
  EXPECT_EQ(this->totp_calls_, 2);
  EXPECT_EQ(this->index_.size(), 0u);
  EXPECT_EQ(this->count_keys(), 0);
}

TYPED_TEST(KeyServiceTest, LimitsAtTheirBoundariesAreAccepted) {
  // 50 characters (counted as characters, not bytes), 30 IPs, expiry 1 ms ahead.
  auto r = this->hmac_request();
  r.label = std::string(50, 'x');
  this->create_ok(this->alice_, r);
  std::string accented;
  for (int i = 0; i < 50; ++i) accented += "\xc3\xa9";  // é
  r.label = accented;
  EXPECT_EQ(this->create_ok(this->alice_, r).key.label, accented);
  r.label = accented + "\xc3\xa9";
  this->expect_error(this->service_->create(this->owner(this->alice_), r, kGoodCode), -7303);

  r = this->hmac_request();
  r.allow_all_ips = false;
  r.ip_allowlist = std::vector<std::string>{};
  for (int i = 1; i <= 30; ++i) r.ip_allowlist->push_back("192.0.2." + std::to_string(i));
  EXPECT_EQ(this->create_ok(this->alice_, r).key.allowlist.ranges().size(), 30u);

  r = this->hmac_request();
  r.expires_at = this->clock_.now_ms() + 1;
  EXPECT_EQ(this->create_ok(this->alice_, r).key.expires_at, this->clock_.now_ms() + 1);

  // WITHDRAW with an allowlist is fine, and a read-only key may hold WITHDRAW without one.
  r = this->hmac_request({"READ", "WITHDRAW"});
  r.allow_all_ips = false;
  r.ip_allowlist = std::vector<std::string>{"10.0.0.0/8"};
  this->create_ok(this->alice_, r);
  r = this->hmac_request({"READ", "WITHDRAW"});
  r.read_only = true;
  EXPECT_TRUE(this->create_ok(this->alice_, r).key.read_only);
}

TYPED_TEST(KeyServiceTest, WithdrawWithoutAllowlistWhenPolicyAllowsIt) {
  KeyPolicy policy;
  policy.withdraw_requires_allowlist = false;
  KeyIndex index;
  auto service = this->make_service(index, policy);
  auto issued = service->create(this->owner(this->alice_), this->hmac_request({"WITHDRAW"}), kGoodCode);
  ASSERT_TRUE(issued.ok()) << issued.error().msg;
  EXPECT_TRUE(has(issued->key.permissions, Permission::kWithdraw));
}

TYPED_TEST(KeyServiceTest, SixteenKeysPerUser) {
  for (int i = 0; i < 16; ++i) this->create_ok(this->alice_);
  EXPECT_EQ(this->index_.size(), 16u);
  const int calls_before = this->totp_calls_;
  auto refused = this->service_->create(this->owner(this->alice_), this->hmac_request(), kGoodCode);
  this->expect_error(refused, -7301);
  EXPECT_EQ(this->totp_calls_, calls_before) << "a full account must not burn the 2FA code";
  EXPECT_NE(refused.error().msg.find("16"), std::string::npos) << refused.error().msg;
  EXPECT_EQ(this->index_.size(), 16u);
  EXPECT_EQ(this->count_keys(), 16);
  // Another user is not affected; deleting one makes room.
  this->create_ok(this->bob_);
  auto first = this->service_->list(this->alice_).front();
  ASSERT_TRUE(this->service_->remove(this->alice_, first.api_key).ok());
  this->create_ok(this->alice_);
  EXPECT_EQ(this->service_->list(this->alice_).size(), 16u);
}

TYPED_TEST(KeyServiceTest, TradeWithoutAllowlistLapsesAfterThirtyDays) {
  const int64_t now = this->clock_.now_ms();
  auto no_list = this->create_ok(this->alice_, this->hmac_request({"READ", "TRADE"}));
  EXPECT_EQ(no_list.key.trade_expires_at, now + 30LL * 86400 * 1000);

  auto r = this->hmac_request({"READ", "TRADE"});
  r.allow_all_ips = false;
  r.ip_allowlist = std::vector<std::string>{"192.0.2.1"};
  EXPECT_EQ(this->create_ok(this->alice_, r).key.trade_expires_at, 0);
  // Without TRADE there is nothing to lapse.
  EXPECT_EQ(this->create_ok(this->alice_, this->hmac_request({"READ"})).key.trade_expires_at, 0);

  // Stored and indexed.
  auto entry = this->index_.find(no_list.key.api_key);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->key.trade_expires_at, now + 30LL * 86400 * 1000);
  auto listed = this->service_->get(this->alice_, no_list.key.api_key);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->trade_expires_at, now + 30LL * 86400 * 1000);
  EXPECT_TRUE(has(listed->effective_permissions(now + 30LL * 86400 * 1000 - 1), Permission::kTrade));
  EXPECT_FALSE(has(listed->effective_permissions(now + 30LL * 86400 * 1000), Permission::kTrade));

  // A policy of 0 never lapses TRADE.
  KeyPolicy policy;
  policy.trade_without_allowlist_s = 0;
  KeyIndex index;
  auto service = this->make_service(index, policy);
  auto issued = service->create(this->owner(this->bob_), this->hmac_request({"TRADE"}), kGoodCode);
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(issued->key.trade_expires_at, 0);
}

TYPED_TEST(KeyServiceTest, Ed25519KeyFromPem) {
  auto r = this->hmac_request();
  r.type = "ED25519";
  r.public_key = kEd25519Pem;
  auto issued = this->create_ok(this->alice_, r);
  EXPECT_TRUE(issued.secret.empty());
  EXPECT_EQ(issued.key.type, KeyType::kEd25519);
  EXPECT_EQ(issued.key.public_key, kEd25519Pem);
  auto entry = this->index_.find(issued.key.api_key);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->hmac, nullptr);
  ASSERT_NE(entry->ed25519, nullptr);
  EXPECT_TRUE(entry->ed25519->verify("", *crypto::from_hex(kEd25519EmptySigHex)));
  EXPECT_FALSE(entry->ed25519->verify("x", *crypto::from_hex(kEd25519EmptySigHex)));

  auto row = this->stored(issued.key.api_key, "secret_sealed, public_key, key_type");
  EXPECT_TRUE(row->is_null(0));
  EXPECT_EQ(row->text(1), kEd25519Pem);
  EXPECT_EQ(row->text(2), "ED25519");
}

TYPED_TEST(KeyServiceTest, ListIsTheUsersKeysInCreationOrderWithoutSecrets) {
  std::vector<IssuedKey> mine;
  for (const char* label : {"first", "second", "third"}) {
    auto r = this->hmac_request({"READ", "DEPOSIT"});
    r.label = label;
    if (std::string(label) == "second") {
      r.allow_all_ips = false;
      r.ip_allowlist = std::vector<std::string>{"10.0.0.0/8", "::ffff:192.0.2.1", "2001:db8::/32"};
      r.read_only = true;
    }
    mine.push_back(this->create_ok(this->alice_, r));
  }
  this->create_ok(this->bob_);

  auto list = this->service_->list(this->alice_);
  ASSERT_EQ(list.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(list[i].api_key, mine[i].key.api_key);
    EXPECT_EQ(list[i].id, mine[i].key.id);
    EXPECT_EQ(list[i].label, mine[i].key.label);
    EXPECT_EQ(list[i].user_id, this->alice_);
    EXPECT_EQ(list[i].permissions, bit(Permission::kRead) | bit(Permission::kDeposit));
    EXPECT_TRUE(list[i].public_key.empty());
    EXPECT_EQ(list[i].created_at, this->kStartMs);
    // No field carries the secret.
    for (const std::string* field : {&list[i].api_key, &list[i].label, &list[i].public_key, &list[i].last_used_ip}) {
      EXPECT_EQ(field->find(mine[i].secret), std::string::npos);
    }
  }
  EXPECT_LT(list[0].id, list[1].id);
  EXPECT_LT(list[1].id, list[2].id);
  EXPECT_TRUE(list[1].read_only);
  EXPECT_EQ(list[1].allowlist.to_strings(),
            (std::vector<std::string>{"10.0.0.0/8", "192.0.2.1", "2001:db8::/32"}));
  EXPECT_TRUE(list[0].allowlist.empty());

  EXPECT_EQ(this->service_->list(this->bob_).size(), 1u);
  EXPECT_TRUE(this->service_->list(this->bob_ + 100).empty());
  auto got = this->service_->get(this->alice_, mine[1].key.api_key);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->label, "second");
  this->expect_error(this->service_->get(this->bob_, mine[1].key.api_key), -7302);
}

TYPED_TEST(KeyServiceTest, DeactivateNeedsNoCodeActivateNeedsOne) {
  auto issued = this->create_ok(this->alice_);
  const int calls = this->totp_calls_;
  const std::string& k = issued.key.api_key;

  ASSERT_TRUE(this->service_->set_active(this->alice_, k, false, std::nullopt).ok());
  EXPECT_EQ(this->totp_calls_, calls);
  auto entry = this->index_.find(k);
  ASSERT_NE(entry, nullptr);
  EXPECT_FALSE(entry->key.active);  // immediately
  EXPECT_FALSE(this->service_->get(this->alice_, k)->active);
  EXPECT_FALSE(this->stored(k, "active")->boolean(0));
  // The verifier survives deactivation.
  EXPECT_TRUE(entry->hmac->verify_hex(kPayload, sign_with(issued.secret, kPayload)));

  this->expect_error(this->service_->set_active(this->alice_, k, true, std::nullopt), -7200);
  this->expect_error(this->service_->set_active(this->alice_, k, true, std::string()), -7200);
  EXPECT_EQ(this->totp_calls_, calls);
  this->expect_error(this->service_->set_active(this->alice_, k, true, std::string("000000")), -7201);
  EXPECT_EQ(this->totp_calls_, calls + 1);
  EXPECT_FALSE(this->index_.find(k)->key.active);

  ASSERT_TRUE(this->service_->set_active(this->alice_, k, true, std::string(kGoodCode)).ok());
  EXPECT_EQ(this->totp_calls_, calls + 2);
  EXPECT_TRUE(this->index_.find(k)->key.active);
  EXPECT_TRUE(this->stored(k, "active")->boolean(0));
}

TYPED_TEST(KeyServiceTest, CreateInactiveKey) {
  auto r = this->hmac_request();
  r.active = false;
  auto issued = this->create_ok(this->alice_, r);
  EXPECT_FALSE(issued.key.active);
  EXPECT_FALSE(this->index_.find(issued.key.api_key)->key.active);
}

TYPED_TEST(KeyServiceTest, UpdateChecksEverythingBeforeChangingAnything) {
  auto issued = this->create_ok(this->alice_);
  const std::string& k = issued.key.api_key;
  ASSERT_TRUE(this->service_->set_active(this->alice_, k, false, std::nullopt).ok());
  const int calls = this->totp_calls_;
  // Relabel and activate without a code: refused, and the label is not changed either.
  this->expect_error(this->service_->update(this->alice_, k, true, std::string("new"), std::nullopt), -7200);
  this->expect_error(this->service_->update(this->alice_, k, true, std::string("new"), std::string("000000")), -7201);
  // A bad label with a good code: refused before the code is used.
  this->expect_error(this->service_->update(this->alice_, k, true, std::string(""), std::string(kGoodCode)), -7303);
  EXPECT_EQ(this->totp_calls_, calls + 1);
  EXPECT_EQ(this->index_.find(k)->key.label, "bot");
  EXPECT_FALSE(this->index_.find(k)->key.active);
  EXPECT_EQ(this->service_->get(this->alice_, k)->label, "bot");
  // Both at once with a code.
  ASSERT_TRUE(this->service_->update(this->alice_, k, true, std::string("new"), std::string(kGoodCode)).ok());
  EXPECT_EQ(this->index_.find(k)->key.label, "new");
  EXPECT_TRUE(this->index_.find(k)->key.active);
  // Deactivating and relabelling needs no code.
  ASSERT_TRUE(this->service_->update(this->alice_, k, false, std::string("off"), std::nullopt).ok());
  EXPECT_FALSE(this->index_.find(k)->key.active);
  EXPECT_EQ(this->index_.find(k)->key.label, "off");
}

// Restrictions change in place: narrowing needs no code, widening needs one, and what is refused
// changes nothing.
// The expiry is a restriction like the others: an earlier one needs nothing, a later one (or none
// at all, 0) needs a fresh code, and one in the past is refused whatever the code.
TYPED_TEST(KeyServiceTest, ExpiryShortensFreelyAndLengthensWithACode) {
  const int64_t hour = 3600 * 1000;
  const int64_t now = this->clock_.now_ms();
  const std::string k = this->create_ok(this->alice_, this->hmac_request({"READ"})).key.api_key;
  auto change = [&](int64_t expires_at, std::optional<std::string> totp = std::nullopt) {
    return this->service_->update(this->alice_, k, KeyChange{.expires_at = expires_at}, totp);
  };
  auto expiry = [&] { return this->index_.find(k)->key.expires_at; };
  const int calls = this->totp_calls_;

  // Never -> in two hours -> in one: each is shorter, no code asked for or used.
  ASSERT_TRUE(change(now + 2 * hour).ok());
  EXPECT_EQ(expiry(), now + 2 * hour);
  ASSERT_TRUE(change(now + hour).ok());
  EXPECT_EQ(expiry(), now + hour);
  EXPECT_EQ(this->service_->get(this->alice_, k)->expires_at, now + hour);  // stored, not only indexed
  EXPECT_EQ(this->totp_calls_, calls);

  // Later, or never: refused without a code, and with a wrong one; nothing changes.
  this->expect_error(change(now + 2 * hour), -7200);
  this->expect_error(change(0), -7200);
  this->expect_error(change(now + 2 * hour, std::string("000000")), -7201);
  EXPECT_EQ(expiry(), now + hour);

  // Not in the future: refused before any code is used.
  const int before_bad = this->totp_calls_;
  this->expect_error(change(now, std::string(kGoodCode)), -7313);
  this->expect_error(change(now - 1, std::string(kGoodCode)), -7313);
  this->expect_error(change(-5, std::string(kGoodCode)), -7313);
  EXPECT_EQ(this->totp_calls_, before_bad);
  EXPECT_EQ(expiry(), now + hour);

  // With a code: later, then never again.
  ASSERT_TRUE(change(now + 3 * hour, std::string(kGoodCode)).ok());
  EXPECT_EQ(expiry(), now + 3 * hour);
  ASSERT_TRUE(change(0, std::string(kGoodCode)).ok());
  EXPECT_EQ(expiry(), 0);
  EXPECT_EQ(this->service_->get(this->alice_, k)->expires_at, 0);

  // Once past its expiry the key is refused; reviving it is a later expiry, so it needs a code.
  ASSERT_TRUE(change(now + hour).ok());
  this->clock_.advance_ms(hour);
  EXPECT_FALSE(this->index_.usable_for_reading(k, this->clock_.now_ms()));
  this->expect_error(change(this->clock_.now_ms() + hour), -7200);
  ASSERT_TRUE(change(this->clock_.now_ms() + hour, std::string(kGoodCode)).ok());
  EXPECT_TRUE(this->index_.usable_for_reading(k, this->clock_.now_ms()));
}

TYPED_TEST(KeyServiceTest, RestrictionsNarrowFreelyAndWidenWithACode) {
  auto r = this->hmac_request({"READ", "TRADE", "WITHDRAW"});
  r.allow_all_ips = false;
  r.ip_allowlist = std::vector<std::string>{"10.0.0.0/8"};
  const std::string k = this->create_ok(this->alice_, r).key.api_key;
  auto change = [&](KeyChange c, std::optional<std::string> totp = std::nullopt) {
    return this->service_->update(this->alice_, k, c, totp);
  };
  auto now_key = [&] { return this->index_.find(k)->key; };
  const int calls = this->totp_calls_;

  // Narrowing: fewer permissions, a narrower list, read-only on. No code is asked for or used.
  ASSERT_TRUE(change(KeyChange{.permissions = std::vector<std::string>{"READ", "TRADE"}}).ok());
  EXPECT_EQ(now_key().permissions, bit(Permission::kRead) | bit(Permission::kTrade));
  ASSERT_TRUE(change(KeyChange{.ip_allowlist = std::vector<std::string>{"10.1.0.0/16", "10.2.0.1"}}).ok());
  EXPECT_EQ(now_key().allowlist.to_list(), "10.1.0.0/16,10.2.0.1");
  ASSERT_TRUE(change(KeyChange{.read_only = true}).ok());
  EXPECT_EQ(now_key().effective_permissions(this->clock_.now_ms()), bit(Permission::kRead));
  EXPECT_EQ(this->totp_calls_, calls);

  // Widening without a code: refused, nothing changed. Each kind of widening counts.
  const std::string before = now_key().allowlist.to_list();
  this->expect_error(change(KeyChange{.read_only = false}), -7200);
  this->expect_error(change(KeyChange{.ip_allowlist = std::vector<std::string>{"10.0.0.0/8"}}), -7200);
  this->expect_error(change(KeyChange{.ip_allowlist = std::vector<std::string>{"10.1.0.0/16", "192.0.2.1"}}), -7200);
  this->expect_error(change(KeyChange{.allow_all_ips = true}), -7200);
  this->expect_error(change(KeyChange{.read_only = false}, std::string("000000")), -7201);
  EXPECT_TRUE(now_key().read_only);
  EXPECT_EQ(now_key().allowlist.to_list(), before);
  EXPECT_EQ(this->service_->get(this->alice_, k)->read_only, true);
  // Under read-only the permissions beyond READ are dormant: changing them gives nothing in effect.
  ASSERT_TRUE(change(KeyChange{.permissions = std::vector<std::string>{"READ", "CONVERT"}}).ok());
  EXPECT_EQ(this->totp_calls_, calls + 1);  // only the -7201 above used one

  // With a code.
  ASSERT_TRUE(change(KeyChange{.permissions = std::vector<std::string>{"READ", "TRADE", "CONVERT"}, .read_only = false},
                     std::string(kGoodCode))
                  .ok());
  EXPECT_EQ(now_key().effective_permissions(this->clock_.now_ms()),
            bit(Permission::kRead) | bit(Permission::kTrade) | bit(Permission::kConvert));
  EXPECT_EQ(this->service_->get(this->alice_, k)->permissions, now_key().permissions);
  this->expect_error(change(KeyChange{.permissions = std::vector<std::string>{"READ", "TRADE", "CONVERT", "DEPOSIT"}}),
                     -7200);

  // The creation form's rules, checked before the code is used.
  const int before_bad = this->totp_calls_;
  this->expect_error(change(KeyChange{.permissions = std::vector<std::string>{}}, std::string(kGoodCode)), -7304);
  this->expect_error(change(KeyChange{.permissions = std::vector<std::string>{"FLY"}}, std::string(kGoodCode)), -7305);
  this->expect_error(change(KeyChange{.ip_allowlist = std::vector<std::string>{}}, std::string(kGoodCode)), -7308);
  this->expect_error(change(KeyChange{.allow_all_ips = false}, std::string(kGoodCode)), -7308);
  this->expect_error(change(KeyChange{.ip_allowlist = std::vector<std::string>{"10.0.0.1"}, .allow_all_ips = true},
                            std::string(kGoodCode)),
                     -7308);
  this->expect_error(change(KeyChange{.ip_allowlist = std::vector<std::string>{"10.0.0.256"}}, std::string(kGoodCode)),
                     -7306);
  this->expect_error(change(KeyChange{.permissions = std::vector<std::string>{"READ", "WITHDRAW"}, .allow_all_ips = true},
                            std::string(kGoodCode)),
                     -7309);
  EXPECT_EQ(this->totp_calls_, before_bad);
}

// TRADE without an allowlist lapses 30 days after it became so; a list stops the lapse, and
// bringing back a lapsed TRADE is widening.
TYPED_TEST(KeyServiceTest, RestrictionsKeepTheTradeLapseHonest) {
  const int64_t day = 86400LL * 1000;
  const std::string k = this->create_ok(this->alice_, this->hmac_request({"READ"})).key.api_key;
  auto change = [&](KeyChange c, std::optional<std::string> totp = std::nullopt) {
    return this->service_->update(this->alice_, k, c, totp);
  };
  auto now_key = [&] { return this->index_.find(k)->key; };
  // TRADE added to a key with no list: it lapses 30 days from now.
  ASSERT_TRUE(change(KeyChange{.permissions = std::vector<std::string>{"READ", "TRADE"}}, std::string(kGoodCode)).ok());
  const int64_t lapse = this->clock_.now_ms() + 30 * day;
  EXPECT_EQ(now_key().trade_expires_at, lapse);
  // Narrowing something else later does not move the lapse.
  this->clock_.advance_ms(10 * day);
  ASSERT_TRUE(change(KeyChange{.label = std::string("later")}).ok());
  EXPECT_EQ(now_key().trade_expires_at, lapse);
  // Lapsed: TRADE is no longer in effect. A list brings it back, which needs a code.
  this->clock_.advance_ms(21 * day);
  EXPECT_FALSE(has(now_key().effective_permissions(this->clock_.now_ms()), Permission::kTrade));
  this->expect_error(change(KeyChange{.ip_allowlist = std::vector<std::string>{"192.0.2.1"}}), -7200);
  ASSERT_TRUE(change(KeyChange{.ip_allowlist = std::vector<std::string>{"192.0.2.1"}}, std::string(kGoodCode)).ok());
  EXPECT_EQ(now_key().trade_expires_at, 0);
  EXPECT_TRUE(has(now_key().effective_permissions(this->clock_.now_ms()), Permission::kTrade));
  // Every IP again (widening): the lapse starts over from now.
  ASSERT_TRUE(change(KeyChange{.allow_all_ips = true}, std::string(kGoodCode)).ok());
  EXPECT_EQ(now_key().trade_expires_at, this->clock_.now_ms() + 30 * day);
  // Without TRADE there is nothing to lapse.
  ASSERT_TRUE(change(KeyChange{.permissions = std::vector<std::string>{"READ"}}).ok());
  EXPECT_EQ(now_key().trade_expires_at, 0);
  EXPECT_EQ(this->service_->get(this->alice_, k)->trade_expires_at, 0);
}

TYPED_TEST(KeyServiceTest, SetLabel) {
  auto issued = this->create_ok(this->alice_);
  ASSERT_TRUE(this->relabel(this->alice_, issued.key.api_key, "renamed").ok());
  EXPECT_EQ(this->index_.find(issued.key.api_key)->key.label, "renamed");
  EXPECT_EQ(this->service_->get(this->alice_, issued.key.api_key)->label, "renamed");
  this->expect_error(this->relabel(this->alice_, issued.key.api_key, ""), -7303);
  this->expect_error(this->relabel(this->alice_, issued.key.api_key, std::string(51, 'a')), -7303);
  EXPECT_EQ(this->index_.find(issued.key.api_key)->key.label, "renamed");
}

TYPED_TEST(KeyServiceTest, AnotherUsersKeyIsNotFound) {
  auto alices = this->create_ok(this->alice_);
  const std::string& k = alices.key.api_key;
  const int calls = this->totp_calls_;
  this->expect_error(this->service_->set_active(this->bob_, k, false, std::nullopt), -7302);
  this->expect_error(this->service_->set_active(this->bob_, k, true, std::string(kGoodCode)), -7302);
  this->expect_error(this->relabel(this->bob_, k, "mine now"), -7302);
  this->expect_error(this->service_->remove(this->bob_, k), -7302);
  this->expect_error(this->service_->rotate(this->bob_, k, kGoodCode, 60), -7302);
  this->expect_error(this->service_->get(this->bob_, k), -7302);
  EXPECT_EQ(this->totp_calls_, calls);
  // Unchanged.
  auto entry = this->index_.find(k);
  ASSERT_NE(entry, nullptr);
  EXPECT_TRUE(entry->key.active);
  EXPECT_EQ(entry->key.label, "bot");
  EXPECT_EQ(this->count_keys(), 1);
  // bob's remove_all leaves alice's keys alone.
  auto removed = this->service_->remove_all(this->bob_, kGoodCode);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0);
  EXPECT_NE(this->index_.find(k), nullptr);
  // Unknown keys.
  this->expect_error(this->service_->remove(this->alice_, generate_api_key()), -7302);
  this->expect_error(this->service_->revoke(generate_api_key()), -7302);
}

TYPED_TEST(KeyServiceTest, RemoveErasesFromTheIndex) {
  auto a = this->create_ok(this->alice_);
  auto b = this->create_ok(this->alice_);
  ASSERT_TRUE(this->service_->remove(this->alice_, a.key.api_key).ok());
  EXPECT_EQ(this->index_.find(a.key.api_key), nullptr);
  EXPECT_NE(this->index_.find(b.key.api_key), nullptr);
  EXPECT_FALSE(this->stored(a.key.api_key, "id").has_value());
  this->expect_error(this->service_->remove(this->alice_, a.key.api_key), -7302);
  ASSERT_EQ(this->service_->list(this->alice_).size(), 1u);
}

TYPED_TEST(KeyServiceTest, RemoveAllNeedsACodeAndErasesEveryKey) {
  std::vector<std::string> keys;
  for (int i = 0; i < 3; ++i) keys.push_back(this->create_ok(this->alice_).key.api_key);
  auto bobs = this->create_ok(this->bob_);
  const int calls = this->totp_calls_;

  this->expect_error(this->service_->remove_all(this->alice_, "000000"), -7201);
  EXPECT_EQ(this->totp_calls_, calls + 1);
  for (const auto& k : keys) EXPECT_NE(this->index_.find(k), nullptr);

  auto removed = this->service_->remove_all(this->alice_, kGoodCode);
  ASSERT_TRUE(removed.ok()) << removed.error().msg;
  EXPECT_EQ(*removed, 3);
  for (const auto& k : keys) EXPECT_EQ(this->index_.find(k), nullptr);
  EXPECT_TRUE(this->service_->list(this->alice_).empty());
  EXPECT_NE(this->index_.find(bobs.key.api_key), nullptr);
  EXPECT_EQ(this->index_.size(), 1u);
  EXPECT_EQ(this->count_keys(), 1);
}

TYPED_TEST(KeyServiceTest, RotateKeepsTheOldSecretForTheGracePeriod) {
  auto issued = this->create_ok(this->alice_);
  const std::string& k = issued.key.api_key;
  const int64_t t0 = this->clock_.now_ms();
  this->clock_.advance_ms(5000);
  const int64_t rotated_at = this->clock_.now_ms();

  auto rotated = this->service_->rotate(this->alice_, k, kGoodCode, 60);
  ASSERT_TRUE(rotated.ok()) << rotated.error().msg;
  EXPECT_EQ(rotated->key.api_key, k);
  EXPECT_EQ(rotated->key.id, issued.key.id);
  EXPECT_NE(rotated->secret, issued.secret);
  EXPECT_TRUE(rotated->secret.starts_with("kgSK"));
  EXPECT_EQ(rotated->secret.size(), 64u);
  EXPECT_GT(rotated_at, t0);

  auto entry = this->index_.find(k);
  ASSERT_NE(entry, nullptr);
  ASSERT_NE(entry->hmac, nullptr);
  EXPECT_TRUE(entry->hmac->verify_hex(kPayload, sign_with(rotated->secret, kPayload)));
  EXPECT_FALSE(entry->hmac->verify_hex(kPayload, sign_with(issued.secret, kPayload)));
  ASSERT_NE(entry->previous_hmac, nullptr);
  EXPECT_TRUE(entry->previous_hmac->verify_hex(kPayload, sign_with(issued.secret, kPayload)));
  EXPECT_EQ(entry->previous_until, rotated_at + 60'000);
  EXPECT_EQ(this->stored(k, "previous_secret_until")->int64(0), rotated_at + 60'000);

  // A refresh within the grace period keeps the old secret...
  this->clock_.advance_ms(59'999);
  ASSERT_TRUE(this->relabel(this->alice_, k, "still in grace").ok());
  entry = this->index_.find(k);
  ASSERT_NE(entry->previous_hmac, nullptr);
  EXPECT_TRUE(entry->previous_hmac->verify_hex(kPayload, sign_with(issued.secret, kPayload)));
  EXPECT_EQ(entry->previous_until, rotated_at + 60'000);

  // ...one at its end drops it.
  this->clock_.advance_ms(1);
  ASSERT_TRUE(this->relabel(this->alice_, k, "grace over").ok());
  entry = this->index_.find(k);
  EXPECT_EQ(entry->previous_hmac, nullptr);
  EXPECT_TRUE(entry->hmac->verify_hex(kPayload, sign_with(rotated->secret, kPayload)));

  // Rotating again replaces the previous secret with the current one.
  auto again = this->service_->rotate(this->alice_, k, kGoodCode, 10);
  ASSERT_TRUE(again.ok());
  entry = this->index_.find(k);
  EXPECT_TRUE(entry->hmac->verify_hex(kPayload, sign_with(again->secret, kPayload)));
  ASSERT_NE(entry->previous_hmac, nullptr);
  EXPECT_TRUE(entry->previous_hmac->verify_hex(kPayload, sign_with(rotated->secret, kPayload)));
  EXPECT_FALSE(entry->previous_hmac->verify_hex(kPayload, sign_with(issued.secret, kPayload)));
}

TYPED_TEST(KeyServiceTest, RotateWithoutGraceAndItsErrors) {
  auto issued = this->create_ok(this->alice_);
  const std::string& k = issued.key.api_key;
  const int calls = this->totp_calls_;
  this->expect_error(this->service_->rotate(this->alice_, k, kGoodCode, -1), -7315);
  this->expect_error(this->service_->rotate(this->alice_, k, kGoodCode, 7 * 86400 + 1), -7315);
  EXPECT_EQ(this->totp_calls_, calls);
  this->expect_error(this->service_->rotate(this->alice_, k, "000000", 60), -7201);
  EXPECT_EQ(this->totp_calls_, calls + 1);
  // Nothing changed.
  EXPECT_TRUE(this->index_.find(k)->hmac->verify_hex(kPayload, sign_with(issued.secret, kPayload)));
  EXPECT_EQ(this->index_.find(k)->previous_hmac, nullptr);

  auto rotated = this->service_->rotate(this->alice_, k, kGoodCode, 0);
  ASSERT_TRUE(rotated.ok());
  auto entry = this->index_.find(k);
  EXPECT_EQ(entry->previous_hmac, nullptr);
  EXPECT_TRUE(entry->hmac->verify_hex(kPayload, sign_with(rotated->secret, kPayload)));
  EXPECT_FALSE(entry->hmac->verify_hex(kPayload, sign_with(issued.secret, kPayload)));

  ASSERT_TRUE(this->service_->rotate(this->alice_, k, kGoodCode, 7 * 86400).ok());

  auto r = this->hmac_request();
  r.type = "ED25519";
  r.public_key = kEd25519Pem;
  auto ed = this->create_ok(this->alice_, r);
  this->expect_error(this->service_->rotate(this->alice_, ed.key.api_key, kGoodCode, 60), -7314);
}

TYPED_TEST(KeyServiceTest, LoadRebuildsEveryKeyAfterARestart) {
  auto hmac = this->create_ok(this->alice_);
  auto r = this->hmac_request();
  r.type = "ED25519";
  r.public_key = kEd25519Pem;
  r.active = false;
  auto ed = this->create_ok(this->alice_, r);
  auto listed = this->hmac_request({"READ", "TRADE"});
  listed.allow_all_ips = false;
  listed.ip_allowlist = std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32"};
  auto bobs = this->create_ok(this->bob_, listed);
  auto rotating = this->create_ok(this->bob_);
  auto rotated = this->service_->rotate(this->bob_, rotating.key.api_key, kGoodCode, 120);
  ASSERT_TRUE(rotated.ok());

  // A restart: a new index and service on the same store.
  this->clock_.advance_ms(60'000);
  KeyIndex fresh;
  auto service = this->make_service(fresh);
  EXPECT_EQ(service->load(), 4u);
  EXPECT_EQ(fresh.size(), 4u);

  auto e = fresh.find(hmac.key.api_key);
  ASSERT_NE(e, nullptr);
  ASSERT_NE(e->hmac, nullptr);
  EXPECT_TRUE(e->hmac->verify_hex(kPayload, sign_with(hmac.secret, kPayload)));
  EXPECT_EQ(e->key.id, hmac.key.id);
  EXPECT_EQ(e->key.user_id, this->alice_);
  EXPECT_TRUE(e->key.active);
  ASSERT_NE(e->usage, nullptr);

  e = fresh.find(ed.key.api_key);
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->key.active);
  EXPECT_EQ(e->key.type, KeyType::kEd25519);
  ASSERT_NE(e->ed25519, nullptr);
  EXPECT_TRUE(e->ed25519->verify("", *crypto::from_hex(kEd25519EmptySigHex)));

  e = fresh.find(bobs.key.api_key);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->key.allowlist.to_strings(), (std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32"}));
  EXPECT_EQ(e->key.permissions, bit(Permission::kRead) | bit(Permission::kTrade));
  EXPECT_EQ(e->key.trade_expires_at, 0);
  EXPECT_TRUE(e->hmac->verify_hex(kPayload, sign_with(bobs.secret, kPayload)));

  // Still within the rotation's grace: both secrets.
  e = fresh.find(rotating.key.api_key);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->hmac->verify_hex(kPayload, sign_with(rotated->secret, kPayload)));
  ASSERT_NE(e->previous_hmac, nullptr);
  EXPECT_TRUE(e->previous_hmac->verify_hex(kPayload, sign_with(rotating.secret, kPayload)));
  EXPECT_EQ(e->previous_until, this->kStartMs + 120'000);

  // A restart after the grace: the old secret is gone.
  this->clock_.advance_ms(60'000);
  KeyIndex later;
  EXPECT_EQ(this->make_service(later)->load(), 4u);
  EXPECT_EQ(later.find(rotating.key.api_key)->previous_hmac, nullptr);
}

TYPED_TEST(KeyServiceTest, LoadUnderAnotherMasterKeyGivesNoVerifier) {
  auto hmac = this->create_ok(this->alice_);
  crypto::Sealer other(test::master_key(99));
  KeyIndex fresh;
  auto service = this->make_service(fresh, {}, &other);
  EXPECT_EQ(service->load(), 1u);
  auto e = fresh.find(hmac.key.api_key);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->hmac, nullptr);  // every signature fails
}

TYPED_TEST(KeyServiceTest, DeactivateAllInATransactionThenReloadUser) {
  std::vector<std::string> alices;
  for (int i = 0; i < 3; ++i) alices.push_back(this->create_ok(this->alice_).key.api_key);
  auto bobs = this->create_ok(this->bob_);

  this->store_->tx([&](store::Db& db) { KeyService::deactivate_all_in(db, this->alice_, this->clock_.now_ms()); });
  // The store has changed; the index follows when reload_user is called after the commit.
  for (const auto& k : alices) EXPECT_FALSE(this->stored(k, "active")->boolean(0));
  this->service_->reload_user(this->alice_);
  for (const auto& k : alices) {
    auto e = this->index_.find(k);
    ASSERT_NE(e, nullptr);
    EXPECT_FALSE(e->key.active);
    EXPECT_NE(e->hmac, nullptr);
  }
  EXPECT_TRUE(this->index_.find(bobs.key.api_key)->key.active);
  EXPECT_TRUE(this->stored(bobs.key.api_key, "active")->boolean(0));

  // A rolled-back transaction changes nothing.
  EXPECT_THROW(this->store_->tx([&](store::Db& db) {
    KeyService::deactivate_all_in(db, this->bob_, this->clock_.now_ms());
    throw std::runtime_error("abort");
  }),
               std::runtime_error);
  this->service_->reload_user(this->bob_);
  EXPECT_TRUE(this->index_.find(bobs.key.api_key)->key.active);
}

TYPED_TEST(KeyServiceTest, RevokeDeactivatesWithoutTheOwner) {
  auto issued = this->create_ok(this->alice_);
  const std::string& k = issued.key.api_key;
  ASSERT_TRUE(this->service_->revoke(k).ok());
  EXPECT_FALSE(this->index_.find(k)->key.active);
  EXPECT_FALSE(this->stored(k, "active")->boolean(0));
  // The owner can still see and delete it.
  EXPECT_FALSE(this->service_->get(this->alice_, k)->active);
  ASSERT_TRUE(this->service_->remove(this->alice_, k).ok());
  EXPECT_EQ(this->index_.find(k), nullptr);
}

TYPED_TEST(KeyServiceTest, OperatorDisableAndDelete) {
  auto a = this->create_ok(this->alice_);
  auto b = this->create_ok(this->bob_);
  ASSERT_TRUE(this->service_->admin_disable(a.key.api_key).ok());
  EXPECT_FALSE(this->index_.find(a.key.api_key)->key.active);
  ASSERT_TRUE(this->service_->admin_delete(b.key.api_key).ok());
  EXPECT_EQ(this->index_.find(b.key.api_key), nullptr);
  this->expect_error(this->service_->admin_delete(b.key.api_key), -7302);
  this->expect_error(this->service_->admin_disable(b.key.api_key), -7302);
}

TYPED_TEST(KeyServiceTest, UsageSurvivesARefreshAndShowsInList) {
  auto issued = this->create_ok(this->alice_);
  const std::string& k = issued.key.api_key;
  auto entry = this->index_.find(k);
  entry->usage->last_used_at.store(this->clock_.now_ms() + 10);
  {
    std::lock_guard lock(entry->usage->mu);
    entry->usage->last_used_ip = "192.0.2.9";
  }
  ASSERT_TRUE(this->relabel(this->alice_, k, "renamed").ok());
  EXPECT_EQ(this->index_.find(k)->usage, entry->usage);  // the same counters
  auto listed = this->service_->get(this->alice_, k);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->last_used_at, this->clock_.now_ms() + 10);
  EXPECT_EQ(listed->last_used_ip, "192.0.2.9");
}

}  // namespace
}  // namespace kg::keys
