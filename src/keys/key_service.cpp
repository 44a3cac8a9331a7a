#include "keys/key_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <thread>
#include <vector>

#include "common/text.hpp"
#include "crypto/random.hpp"

namespace kg::keys {

using store::Db;
using store::Row;

namespace {

constexpr const char* kColumns =
    "id, user_id, api_key, label, key_type, permissions, read_only, ip_allowlist, active, created_at, "
    "expires_at, trade_expires_at, public_key, last_used_at, last_used_ip, secret_sealed, "
    "previous_secret_sealed, previous_secret_until, withdraw_address_ids, withdraw_daily_caps, max_orders_10s, "
    "max_weight_1m";

struct StoredKey {
  ApiKey key;
  std::optional<std::string> secret_sealed;
  std::optional<std::string> previous_sealed;
  int64_t previous_until = 0;
};

StoredKey from_row(const Row& r) {
  StoredKey s;
  ApiKey& k = s.key;
  k.id = r.int64(0);
  k.user_id = r.int64(1);
  k.api_key = r.text(2);
  k.label = r.text(3);
  k.type = parse_key_type(r.text(4)).value_or(KeyType::kHmacSha256);
  k.permissions = static_cast<PermissionSet>(r.int64(5));
  k.read_only = r.boolean(6);
  k.allowlist = IpAllowlist::parse_list(r.text(7)).value_or(IpAllowlist{});
  k.active = r.boolean(8);
  k.created_at = r.int64(9);
  k.expires_at = r.int64(10);
  k.trade_expires_at = r.int64(11);
  k.public_key = r.opt_text(12).value_or("");
  k.last_used_at = r.int64(13);
  k.last_used_ip = r.text(14);
  s.secret_sealed = r.opt_text(15);
  s.previous_sealed = r.opt_text(16);
  s.previous_until = r.int64(17);
  // Malformed rules cannot be written (set_withdraw_rules validates); if the text was edited by
  // hand, the key withdraws nowhere rather than anywhere.
  k.withdraw = WithdrawRules::parse(r.text(18), r.text(19)).value_or(WithdrawRules{{-1}, {}});
  k.limits = KeyLimits{r.int64(20), r.int64(21)};
  return s;
}

std::string seal_context(const std::string& api_key) { return "apikey:" + api_key; }

std::string random_alnum(size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    for (unsigned char c : crypto::random_bytes(n)) {
      if (c < 248 && out.size() < n) out += kAlphabet[c % 62];  // 248 = 4 * 62: no modulo bias
    }
  }
  return out;
}


}  // namespace

std::string generate_api_key() { return "kgAK" + random_alnum(60); }
std::string generate_secret() { return "kgSK" + random_alnum(60); }

bool valid_api_key_format(std::string_view key) {
  return key.size() == 64 && std::all_of(key.begin(), key.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
         });
}

KeyService::KeyService(store::Store& store, const crypto::Sealer& sealer, const Clock& clock, KeyIndex& index,
                       KeyPolicy policy, TotpCheck check_totp)
    : store_(store), sealer_(sealer), clock_(clock), index_(index), policy_(policy),
      check_totp_(std::move(check_totp)) {}

std::shared_ptr<const KeyEntry> KeyService::build_entry(ApiKey key, const std::optional<std::string>& secret_sealed,
                                                        const std::optional<std::string>& previous_sealed,
                                                        int64_t previous_until) const {
  auto entry = std::make_shared<KeyEntry>();
  // Keep the usage counters (and verifiers) of the entry this one replaces.
  auto old = index_.find(key.api_key);
  entry->usage = old ? old->usage : std::make_shared<KeyUsage>();
  if (!old) {
    entry->usage->last_used_at.store(key.last_used_at);
    entry->usage->stored_at = key.last_used_at;  // no flush sees this record yet
  }
  switch (key.type) {
    case KeyType::kHmacSha256: {
      if (!secret_sealed) break;
      auto secret = sealer_.unseal(*secret_sealed, seal_context(key.api_key));
      if (!secret) {
        spdlog::error("event=key_unseal_failed key_id={}", key.id);
        break;  // no verifier: every signature fails
      }
      entry->hmac = std::make_shared<crypto::HmacSha256Key>(*secret);
      if (previous_sealed && previous_until > clock_.now_ms()) {
        if (auto prev = sealer_.unseal(*previous_sealed, seal_context(key.api_key))) {
          entry->previous_hmac = std::make_shared<crypto::HmacSha256Key>(*prev);
          entry->previous_until = previous_until;
        }
      }
      break;
    }
    case KeyType::kEd25519:
      if (auto pk = crypto::Ed25519PublicKey::from_pem(key.public_key)) {
        entry->ed25519 = std::make_shared<crypto::Ed25519PublicKey>(std::move(*pk));
      }
      break;
    case KeyType::kRsa:
      if (auto pk = crypto::RsaPublicKey::from_pem(key.public_key)) {
        entry->rsa = std::make_shared<crypto::RsaPublicKey>(std::move(*pk));
      }
      break;
  }
  entry->key = std::move(key);
  return entry;
}

size_t KeyService::load() {
  // A page at a time (rows of a million keys would be ~1 GB at once, and the heap keeps it), each
  // page's entries built on two threads: unsealing a secret (two AES-GCM opens) is most of the cost.
  constexpr int64_t kPage = 20000;
  const int64_t total = store_.tx([](Db& db) { return db.query_one("SELECT COUNT(*) FROM api_keys")->int64(0); });
  index_.reserve(static_cast<size_t>(total));
  size_t loaded = 0;
  int64_t after = 0;
  const std::string sql = std::string("SELECT ") + kColumns + " FROM api_keys WHERE id > ? ORDER BY id LIMIT ?";
  for (;;) {
    auto rows = store_.tx([&](Db& db) { return db.query(sql, {after, kPage}); });
    if (rows.empty()) break;
    after = rows.back().int64(0);
    std::vector<std::shared_ptr<const KeyEntry>> built(rows.size());
    auto build = [&](size_t from, size_t to) {
      for (size_t i = from; i < to; ++i) {
        StoredKey s = from_row(rows[i]);
        built[i] = build_entry(std::move(s.key), s.secret_sealed, s.previous_sealed, s.previous_until);
      }
    };
    const size_t half = rows.size() / 2;
    std::exception_ptr helper_failed;  // a bad row fails the start as it would on one thread
    std::thread helper([&] {
      try {
        build(half, rows.size());
      } catch (...) {
        helper_failed = std::current_exception();
      }
    });
    try {
      build(0, half);
    } catch (...) {
      helper.join();
      throw;
    }
    helper.join();
    if (helper_failed) std::rethrow_exception(helper_failed);
    for (auto& e : built) index_.put(std::move(e));
    loaded += rows.size();
    if (rows.size() < static_cast<size_t>(kPage)) break;
  }
  return loaded;
}

void KeyService::refresh(const std::string& api_key) {
  auto row = store_.tx([&](Db& db) {
    return db.query_one(std::string("SELECT ") + kColumns + " FROM api_keys WHERE api_key = ?", {api_key});
  });
  if (!row) {
    index_.erase(api_key);
    return;
  }
  StoredKey s = from_row(*row);
  index_.put(build_entry(std::move(s.key), s.secret_sealed, s.previous_sealed, s.previous_until));
}

Result<PermissionSet> KeyService::read_permissions(const std::vector<std::string>& names) {
  PermissionSet set = 0;
  for (const auto& name : names) {
    auto p = parse_permission(name);
    if (!p) return make_error(err::kBadPermission, name);
    set |= bit(*p);
  }
  if (set == 0) return make_error(err::kNoPermissions);
  return set;
}

Result<IpAllowlist> KeyService::read_allowlist(bool allow_all, const std::optional<std::vector<std::string>>& list) const {
  if (allow_all == list.has_value()) return make_error(err::kIpChoice);
  std::vector<IpRange> ranges;
  if (list) {
    if (list->empty()) return make_error(err::kIpChoice);
    if (static_cast<int>(list->size()) > policy_.max_ip_entries) return make_error(err::kTooManyIps, policy_.max_ip_entries);
    for (const auto& text : *list) {
      auto r = IpRange::parse(text);
      if (!r) return make_error(err::kBadIpEntry, text);
      ranges.push_back(*r);
    }
  }
  return IpAllowlist(std::move(ranges));
}

Status KeyService::check_withdraw_ips(const ApiKey& key) const {
  const bool withdraw = has(key.permissions, Permission::kWithdraw) && !key.read_only;
  if (withdraw && policy_.withdraw_requires_allowlist && key.allowlist.empty()) return make_error(err::kWithdrawNeedsIps);
  return ok_status();
}

Result<IssuedKey> KeyService::create(const Owner& owner, const NewKey& req, const std::string& totp) {
  if (!owner.api_access) return make_error(err::kApiAccessDisabled);
  if (!owner.two_factor_enabled) return make_error(err::kTwoFactorNeededForKeys);
  if (!valid_label(req.label)) return make_error(err::kBadLabel);
  auto type = parse_key_type(req.type);
  if (!type) return make_error(err::kBadKeyType);

  ApiKey key;
  key.user_id = owner.user_id;
  key.label = req.label;
  key.type = *type;
  auto permissions = read_permissions(req.permissions);
  if (!permissions) return permissions.error();
  key.permissions = *permissions;
  key.read_only = req.read_only;
  auto allowlist = read_allowlist(req.allow_all_ips, req.ip_allowlist);
  if (!allowlist) return allowlist.error();
  key.allowlist = std::move(*allowlist);
  if (auto s = check_withdraw_ips(key); !s) return s.error();

  const int64_t now = clock_.now_ms();
  if (req.expires_at && *req.expires_at <= now) return make_error(err::kBadExpiry);
  key.expires_at = req.expires_at.value_or(0);
  if (has(key.permissions, Permission::kTrade) && key.allowlist.empty() && policy_.trade_without_allowlist_s > 0) {
    key.trade_expires_at = now + policy_.trade_without_allowlist_s * 1000;
  }

  if (key.type == KeyType::kHmacSha256) {
    if (req.public_key) return make_error(err::kUnexpectedPublicKey);
  } else {
    const bool ok = req.public_key && (key.type == KeyType::kEd25519
                                           ? crypto::Ed25519PublicKey::from_pem(*req.public_key).has_value()
                                           : crypto::RsaPublicKey::from_pem(*req.public_key).has_value());
    if (!ok) return make_error(err::kBadPublicKey);
    key.public_key = *req.public_key;
  }
  key.active = req.active;
  key.created_at = now;
  key.api_key = generate_api_key();

  // The code is checked last, so that a mistake in the form (or a full account) does not burn it.
  auto existing = store_.tx([&](Db& db) {
    return db.query_one("SELECT COUNT(*) FROM api_keys WHERE user_id = ?", {owner.user_id})->int64(0);
  });
  if (existing >= policy_.max_keys_per_user) return make_error(err::kKeyLimit, policy_.max_keys_per_user);
  if (auto s = check_totp_(owner.user_id, totp); !s) return s.error();

  IssuedKey issued;
  std::optional<std::string> sealed;
  if (key.type == KeyType::kHmacSha256) {
    issued.secret = generate_secret();
    sealed = sealer_.seal(issued.secret, seal_context(key.api_key));
  }
  auto id = store_.tx([&](Db& db) -> std::optional<int64_t> {
    auto count = db.query_one("SELECT COUNT(*) FROM api_keys WHERE user_id = ?", {owner.user_id});
    if (count->int64(0) >= policy_.max_keys_per_user) return std::nullopt;
    auto row = db.query_one(
        "INSERT INTO api_keys (api_key, user_id, label, key_type, permissions, read_only, ip_allowlist, active, "
        "created_at, expires_at, trade_expires_at, secret_sealed, public_key, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        {key.api_key, key.user_id, key.label, std::string(key_type_name(key.type)), int64_t{key.permissions},
         int64_t{key.read_only ? 1 : 0}, key.allowlist.to_list(), int64_t{key.active ? 1 : 0}, now,
         key.expires_at, key.trade_expires_at, sealed ? store::Value(*sealed) : store::Value(nullptr),
         key.public_key.empty() ? store::Value(nullptr) : store::Value(key.public_key), now});
    return row->int64(0);
  });
  if (!id) return make_error(err::kKeyLimit, policy_.max_keys_per_user);
  key.id = *id;
  index_.put(build_entry(key, sealed, std::nullopt, 0));
  spdlog::info("event=key_created uid={} key_id={} type={} permissions={}", key.user_id, key.id,
               key_type_name(key.type), key.permissions);
  issued.key = std::move(key);
  return issued;
}

std::vector<ApiKey> KeyService::list(int64_t user_id) {
  auto rows = store_.tx([&](Db& db) {
    return db.query(std::string("SELECT ") + kColumns + " FROM api_keys WHERE user_id = ? ORDER BY id", {user_id});
  });
  std::vector<ApiKey> out;
  for (const Row& r : rows) {
    ApiKey k = from_row(r).key;
    // The index knows uses not yet flushed to the store.
    if (auto e = index_.find(k.api_key); e && e->usage) {
      int64_t at = e->usage->last_used_at.load();
      if (at > k.last_used_at) {
        k.last_used_at = at;
        std::lock_guard lock(e->usage->mu);
        k.last_used_ip = e->usage->last_used_ip;
      }
    }
    out.push_back(std::move(k));
  }
  return out;
}

Result<ApiKey> KeyService::get(int64_t user_id, const std::string& api_key) {
  for (auto& k : list(user_id)) {
    if (k.api_key == api_key) return k;
  }
  return make_error(err::kKeyNotFound);
}

Status KeyService::set_active(int64_t user_id, const std::string& api_key, bool active,
                              const std::optional<std::string>& totp) {
  return update(user_id, api_key, active, std::nullopt, totp);
}

Status KeyService::update(int64_t user_id, const std::string& api_key, const KeyChange& change,
                          const std::optional<std::string>& totp) {
  auto old = get(user_id, api_key);
  if (!old) return old.error();
  if (change.label && !valid_label(*change.label)) return make_error(err::kBadLabel);
  ApiKey key = *old;
  if (change.label) key.label = *change.label;
  if (change.active) key.active = *change.active;
  if (change.permissions) {
    auto permissions = read_permissions(*change.permissions);
    if (!permissions) return permissions.error();
    key.permissions = *permissions;
  }
  if (change.read_only) key.read_only = *change.read_only;
  if (change.ip_allowlist || change.allow_all_ips) {
    auto allowlist = read_allowlist(change.allow_all_ips.value_or(false), change.ip_allowlist);
    if (!allowlist) return allowlist.error();
    key.allowlist = std::move(*allowlist);
  }
  if (auto s = check_withdraw_ips(key); !s) return s.error();
  const int64_t now = clock_.now_ms();
  if (change.expires_at) {
    if (*change.expires_at < 0 || (*change.expires_at != 0 && *change.expires_at <= now)) {
      return make_error(err::kBadExpiry);
    }
    key.expires_at = *change.expires_at;
  }

  // TRADE without an allowlist lapses: from now when it is new or the allowlist has just gone,
  // never when there is a list, and otherwise when it was going to.
  if (!has(key.permissions, Permission::kTrade) || !key.allowlist.empty()) {
    key.trade_expires_at = 0;
  } else if (!has(old->permissions, Permission::kTrade) || !old->allowlist.empty()) {
    key.trade_expires_at = policy_.trade_without_allowlist_s > 0 ? now + policy_.trade_without_allowlist_s * 1000 : 0;
  }

  const PermissionSet gained = key.effective_permissions(now) & ~old->effective_permissions(now);
  const bool activating = key.active && !old->active;
  const bool more_ips = !key.allowlist.within(old->allowlist);
  // A key that never expired, or did sooner, lives longer: 0 is "never", the latest of all.
  const auto lifetime = [](int64_t expires_at) { return expires_at == 0 ? INT64_MAX : expires_at; };
  const bool longer = lifetime(key.expires_at) > lifetime(old->expires_at);
  if (activating || gained != 0 || more_ips || longer) {
    if (!totp || totp->empty()) return make_error(err::kTotpRequired);
    if (auto s = check_totp_(user_id, *totp); !s) return s;
  }
  store_.tx([&](Db& db) {
    db.exec("UPDATE api_keys SET active = ?, label = ?, permissions = ?, read_only = ?, ip_allowlist = ?, "
            "expires_at = ?, trade_expires_at = ?, updated_at = ? WHERE api_key = ? AND user_id = ?",
            {int64_t{key.active ? 1 : 0}, key.label, int64_t{key.permissions}, int64_t{key.read_only ? 1 : 0},
             key.allowlist.to_list(), key.expires_at, key.trade_expires_at, now, api_key, user_id});
  });
  refresh(api_key);
  if (key.active != old->active) {
    spdlog::info("event=key_{} uid={} key_id={}", key.active ? "activated" : "deactivated", user_id, key.id);
  }
  if (key.permissions != old->permissions || key.read_only != old->read_only ||
      key.allowlist.to_list() != old->allowlist.to_list()) {
    spdlog::info("event=key_restrictions uid={} key_id={} permissions={} read_only={} ip_allowlist=\"{}\" widened={}",
                 user_id, key.id, key.permissions, key.read_only, key.allowlist.to_list(), gained != 0 || more_ips);
  }
  if (key.expires_at != old->expires_at) {
    spdlog::info("event=key_expiry uid={} key_id={} expires_at={} widened={}", user_id, key.id, key.expires_at, longer);
  }
  return ok_status();
}

Status KeyService::set_limits(int64_t user_id, const std::string& api_key, const KeyLimits& limits,
                              const std::optional<std::string>& totp) {
  if (limits.orders_per_10s < 0 || limits.weight_per_minute < 0) return make_error(err::kBadParam, "limits");
  auto key = get(user_id, api_key);
  if (!key) return key.error();
  if (!limits.within(key->limits)) {
    // A higher limit, or none, is more power: it needs a fresh code.
    if (!totp || totp->empty()) return make_error(err::kTotpRequired);
    if (auto s = check_totp_(user_id, *totp); !s) return s;
  }
  store_.tx([&](Db& db) {
    db.exec("UPDATE api_keys SET max_orders_10s = ?, max_weight_1m = ?, updated_at = ? WHERE api_key = ? AND user_id = ?",
            {limits.orders_per_10s, limits.weight_per_minute, clock_.now_ms(), api_key, user_id});
  });
  refresh(api_key);
  spdlog::info("event=key_limits uid={} key_id={} orders_per_10s={} weight_per_minute={}", user_id, key->id,
               limits.orders_per_10s, limits.weight_per_minute);
  return ok_status();
}

Status KeyService::set_withdraw_rules(int64_t user_id, const std::string& api_key, const WithdrawRules& rules,
                                      const std::optional<std::string>& totp) {
  auto key = get(user_id, api_key);
  if (!key) return key.error();
  if (!rules.within(key->withdraw)) {
    // More addresses or a higher (or no) cap is more power: it needs a fresh code.
    if (!totp || totp->empty()) return make_error(err::kTotpRequired);
    if (auto s = check_totp_(user_id, *totp); !s) return s;
  }
  store_.tx([&](Db& db) {
    db.exec("UPDATE api_keys SET withdraw_address_ids = ?, withdraw_daily_caps = ?, updated_at = ? "
            "WHERE api_key = ? AND user_id = ?",
            {rules.ids_text(), rules.caps_text(), clock_.now_ms(), api_key, user_id});
  });
  refresh(api_key);
  spdlog::info("event=key_withdraw_rules uid={} key_id={} addresses=\"{}\" caps=\"{}\"", user_id, key->id,
               rules.ids_text(), rules.caps_text());
  return ok_status();
}

Status KeyService::remove(int64_t user_id, const std::string& api_key) {
  int64_t n = store_.tx([&](Db& db) {
    return db.exec("DELETE FROM api_keys WHERE api_key = ? AND user_id = ?", {api_key, user_id});
  });
  if (n == 0) return make_error(err::kKeyNotFound);
  index_.erase(api_key);
  spdlog::info("event=key_deleted uid={}", user_id);
  return ok_status();
}

Result<int64_t> KeyService::remove_all(int64_t user_id, const std::string& totp) {
  if (auto s = check_totp_(user_id, totp); !s) return s.error();
  auto keys = store_.tx([&](Db& db) {
    auto rows = db.query("SELECT api_key FROM api_keys WHERE user_id = ?", {user_id});
    db.exec("DELETE FROM api_keys WHERE user_id = ?", {user_id});
    return rows;
  });
  for (const Row& r : keys) index_.erase(r.text(0));
  spdlog::info("event=keys_deleted_all uid={} count={}", user_id, keys.size());
  return static_cast<int64_t>(keys.size());
}

Result<IssuedKey> KeyService::rotate(int64_t user_id, const std::string& api_key, const std::string& totp,
                                     int64_t grace_s) {
  auto key = get(user_id, api_key);
  if (!key) return key.error();
  if (key->type != KeyType::kHmacSha256) return make_error(err::kNotRotatable);
  if (grace_s < 0 || grace_s > policy_.max_rotation_grace_s) return make_error(err::kBadGrace, policy_.max_rotation_grace_s);
  if (auto s = check_totp_(user_id, totp); !s) return s.error();
  IssuedKey issued;
  issued.secret = generate_secret();
  const int64_t now = clock_.now_ms();
  const std::string sealed = sealer_.seal(issued.secret, seal_context(api_key));
  store_.tx([&](Db& db) {
    db.exec("UPDATE api_keys SET previous_secret_sealed = secret_sealed, previous_secret_until = ?, "
            "secret_sealed = ?, updated_at = ? WHERE api_key = ? AND user_id = ?",
            {now + grace_s * 1000, sealed, now, api_key, user_id});
  });
  refresh(api_key);
  spdlog::info("event=key_rotated uid={} key_id={} grace_s={}", user_id, key->id, grace_s);
  issued.key = std::move(*key);
  return issued;
}

void KeyService::deactivate_all_in(Db& db, int64_t user_id, int64_t now_ms) {
  db.exec("UPDATE api_keys SET active = 0, updated_at = ? WHERE user_id = ?", {now_ms, user_id});
}

void KeyService::reload_user(int64_t user_id) {
  auto rows = store_.tx([&](Db& db) { return db.query("SELECT api_key FROM api_keys WHERE user_id = ?", {user_id}); });
  for (const Row& r : rows) refresh(r.text(0));
}

Status KeyService::revoke(const std::string& api_key) {
  int64_t n = store_.tx([&](Db& db) {
    return db.exec("UPDATE api_keys SET active = 0, updated_at = ? WHERE api_key = ?", {clock_.now_ms(), api_key});
  });
  if (n == 0) return make_error(err::kKeyNotFound);
  refresh(api_key);
  spdlog::warn("event=key_revoked_itself");
  return ok_status();
}

Status KeyService::admin_disable(const std::string& api_key) { return revoke(api_key); }

Status KeyService::admin_delete(const std::string& api_key) {
  int64_t n = store_.tx([&](Db& db) { return db.exec("DELETE FROM api_keys WHERE api_key = ?", {api_key}); });
  if (n == 0) return make_error(err::kKeyNotFound);
  index_.erase(api_key);
  return ok_status();
}

}  // namespace kg::keys
