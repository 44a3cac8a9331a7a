#pragma once
// The life of an API key: create (2FA), list, activate (2FA) and deactivate, delete, delete all
// (2FA), rotate the secret with a grace period (2FA), revoke itself, and the operator's actions.
// Every change is written to the store and then to the in-memory index before it returns.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "crypto/sealer.hpp"
#include "keys/api_key.hpp"
#include "keys/key_index.hpp"
#include "store/store.hpp"

namespace kg::keys {

struct KeyPolicy {
  bool withdraw_requires_allowlist = true;
  int64_t trade_without_allowlist_s = 30 * 86400;  // 0: TRADE never lapses
  int max_keys_per_user = 16;
  int max_ip_entries = 30;
  int64_t max_rotation_grace_s = 7 * 86400;
};

struct NewKey {
  std::string label;
  std::string type = "HMAC_SHA256";
  std::optional<std::string> public_key;
  std::vector<std::string> permissions;
  bool read_only = false;
  std::optional<std::vector<std::string>> ip_allowlist;
  bool allow_all_ips = false;
  bool active = true;
  std::optional<int64_t> expires_at;
};

// A change to a key in place; what is unset stays as it is. Restrictions (permissions, read-only,
// IP allowlist, expiry) follow the creation form's rules.
struct KeyChange {
  std::optional<bool> active{};
  std::optional<std::string> label{};
  std::optional<std::vector<std::string>> permissions{};
  std::optional<bool> read_only{};
  std::optional<std::vector<std::string>> ip_allowlist{};  // these addresses and ranges only
  std::optional<bool> allow_all_ips{};                     // true: every IP (and no list)
  std::optional<int64_t> expires_at{};                     // a time in the future; 0: never expires
};

// The account facts key creation depends on, from the accounts service.
struct Owner {
  int64_t user_id = 0;
  bool two_factor_enabled = false;
  bool api_access = true;
};

struct IssuedKey {
  ApiKey key;
  std::string secret;  // HMAC only; returned once, never again
};

// Checks (and consumes) a TOTP code of the user.
using TotpCheck = std::function<Status(int64_t user_id, const std::string& code)>;

class KeyService {
 public:
  KeyService(store::Store& store, const crypto::Sealer& sealer, const Clock& clock, KeyIndex& index,
             KeyPolicy policy, TotpCheck check_totp);

  // Loads every key into the index (at start).
  size_t load();

  Result<IssuedKey> create(const Owner& owner, const NewKey& request, const std::string& totp);
  std::vector<ApiKey> list(int64_t user_id);
  Result<ApiKey> get(int64_t user_id, const std::string& api_key);
  Status set_active(int64_t user_id, const std::string& api_key, bool active, const std::optional<std::string>& totp);
  // Relabel, (de)activate, and change the permissions, the read-only switch, the IP allowlist and
  // the expiry, in one step. Anything that lets the key do more (activation, a permission it did
  // not have in effect, an address its allowlist did not let in, a later expiry or none) needs a
  // fresh 2FA code; narrowing never does.
  // Every check comes before any change, so a refused request changes nothing.
  Status update(int64_t user_id, const std::string& api_key, const KeyChange& change,
                const std::optional<std::string>& totp);
  Status update(int64_t user_id, const std::string& api_key, const std::optional<bool>& active,
                const std::optional<std::string>& label, const std::optional<std::string>& totp) {
    return update(user_id, api_key, KeyChange{active, label, {}, {}, {}, {}}, totp);
  }
  // The key's withdrawal addresses and daily caps; widening them needs a fresh 2FA code, narrowing
  // does not. The caller checks that the address ids are the user's own and the assets exist.
  // The key's own rate limits (api_key.hpp). Lowering them needs nothing; raising or removing one
  // needs a fresh 2FA code (-7203 without).
  Status set_limits(int64_t user_id, const std::string& api_key, const KeyLimits& limits,
                    const std::optional<std::string>& totp);
  Status set_withdraw_rules(int64_t user_id, const std::string& api_key, const WithdrawRules& rules,
                            const std::optional<std::string>& totp);
  Status remove(int64_t user_id, const std::string& api_key);
  Result<int64_t> remove_all(int64_t user_id, const std::string& totp);
  Result<IssuedKey> rotate(int64_t user_id, const std::string& api_key, const std::string& totp, int64_t grace_s);

  // Called inside the transaction that turns 2FA off; `reload_user` after it commits.
  static void deactivate_all_in(store::Db& db, int64_t user_id, int64_t now_ms);
  void reload_user(int64_t user_id);

  // A key that leaked revokes itself (it becomes inactive; its owner may delete it).
  Status revoke(const std::string& api_key);

  // Operators. A user whose API access is off has every key refused until it is back on.
  void set_user_blocked(int64_t user_id, bool blocked) { index_.set_user_blocked(user_id, blocked); }
  const KeyIndex& index() const { return index_; }
  Status admin_disable(const std::string& api_key);
  Status admin_delete(const std::string& api_key);

  const KeyPolicy& policy() const { return policy_; }

 private:
  // The creation form's rules, shared with update: permission names (at least one), "all IPs"
  // or a list (not both, not neither, at most the policy's entries), WITHDRAW only with a list.
  static Result<PermissionSet> read_permissions(const std::vector<std::string>& names);
  Result<IpAllowlist> read_allowlist(bool allow_all, const std::optional<std::vector<std::string>>& list) const;
  Status check_withdraw_ips(const ApiKey& key) const;
  std::shared_ptr<const KeyEntry> build_entry(ApiKey key, const std::optional<std::string>& secret_sealed,
                                              const std::optional<std::string>& previous_sealed,
                                              int64_t previous_until) const;
  void refresh(const std::string& api_key);  // store -> index for one key

  store::Store& store_;
  const crypto::Sealer& sealer_;
  const Clock& clock_;
  KeyIndex& index_;
  KeyPolicy policy_;
  TotpCheck check_totp_;
};

// "kgAK" + 60 letters and digits for key ids, "kgSK" + 60 for secrets: 64 characters like
// Binance's, and a prefix that secret scanners can recognise.
std::string generate_api_key();
std::string generate_secret();
bool valid_api_key_format(std::string_view key);

}  // namespace kg::keys
