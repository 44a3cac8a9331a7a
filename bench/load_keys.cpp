// Fills a keygate data dir with many users and API keys, quickly, for bench/scale_keys.sh: not
// through HTTP (an account holds at most 16 keys, and each key made through the console costs a
// 2FA code) but with the server's own pieces, so that `keygate serve` on the dir loads them as it
// loads any key: the store and its migrations, the master key as the server finds it
// (server::load_master_key: KEYGATE_MASTER_KEY, KEYGATE_MASTER_KEY_FILE or <dir>/master.key,
// created when missing), key ids and secrets from keys::generate_api_key/generate_secret, each
// secret sealed with crypto::Sealer under the context the key service uses ("apikey:" + key),
// each user's TOTP seed sealed under "totp:<uid>" as the accounts service does.
//
//   build/bench/kg_bench_load_keys DATA_DIR KEYS [SAMPLE_JSON] [SAMPLE_COUNT=1000]
//
// KEYS keys, 16 a user (the default max_keys_per_user), HMAC_SHA256, READ+TRADE, every IP allowed
// (so TRADE lapses after 30 days, as for a key made through the console), all active. Users are
// scale-<n>@example.com with 2FA on and one Argon2id hash shared by all (nobody logs in). Rows
// go in 32 a statement, 16,384 keys a transaction. SQLite only (a fresh data dir: user ids are
// written explicitly). SAMPLE_JSON gets SAMPLE_COUNT keys spread evenly over all of them, with
// their secrets, in bench/http_setup.mjs's format ({"kind":"account","users":[{"email","uid",
// "apiKey","secretKey"}]}) for bench/http_gen.mjs; they are checked to unseal from the store.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "crypto/password.hpp"
#include "crypto/random.hpp"
#include "crypto/sealer.hpp"
#include "keys/key_service.hpp"
#include "keys/permissions.hpp"
#include "server/master_key.hpp"
#include "store/rows.hpp"
#include "store/store.hpp"

using namespace kg;
using Clock_ = std::chrono::steady_clock;

namespace {
constexpr int kKeysPerUser = 16;
constexpr int kKeysPerTx = 16384;
constexpr int64_t kTradeWithoutAllowlistMs = 30LL * 86400 * 1000;

double seconds_since(Clock_::time_point t) { return std::chrono::duration<double>(Clock_::now() - t).count(); }

struct Sample {
  std::string email;
  int64_t uid;
  std::string api_key;
  std::string secret;
};
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: kg_bench_load_keys DATA_DIR KEYS [SAMPLE_JSON] [SAMPLE_COUNT=1000]\n");
    return 2;
  }
  const std::string data_dir = argv[1];
  const int64_t n_keys = std::atoll(argv[2]);
  const std::string sample_out = argc > 3 ? argv[3] : "";
  const int64_t sample_count = std::min<int64_t>(argc > 4 ? std::atoll(argv[4]) : 1000, n_keys);
  if (n_keys < 1 || sample_count < 1) {
    std::fprintf(stderr, "kg_bench_load_keys: KEYS and SAMPLE_COUNT must be positive\n");
    return 2;
  }
  const auto start = Clock_::now();
  std::filesystem::create_directories(data_dir);
  const crypto::Sealer sealer(server::load_master_key(data_dir));
  store::Store store(store::open_sqlite(data_dir + "/keygate.db"));
  store.migrate();
  const int64_t first_uid = store.tx([](store::Db& db) {
    return db.query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM users")->int64(0);
  });

  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string password_hash = crypto::hash_password(crypto::random_hex(16));
  const int64_t permissions = keys::bit(keys::Permission::kRead) | keys::bit(keys::Permission::kTrade);
  const int64_t n_users = (n_keys + kKeysPerUser - 1) / kKeysPerUser;
  const int64_t sample_every = n_keys / sample_count;

  std::vector<Sample> samples;
  std::vector<store::Value> users, keys;
  int64_t made = 0;
  double secrets_s = 0;
  while (made < n_keys) {
    const int64_t batch = std::min<int64_t>(kKeysPerTx, n_keys - made);
    users.clear();
    keys.clear();
    const auto t = Clock_::now();
    for (int64_t i = made; i < made + batch; ++i) {
      const int64_t uid = first_uid + i / kKeysPerUser;
      const std::string email = "scale-" + std::to_string(uid) + "@example.com";
      if (i % kKeysPerUser == 0) {
        users.insert(users.end(), {uid, email, password_hash, int64_t{1},
                                   sealer.seal(crypto::random_bytes(20), "totp:" + std::to_string(uid)), now, now});
      }
      std::string api_key = keys::generate_api_key();
      std::string secret = keys::generate_secret();
      std::string sealed = sealer.seal(secret, "apikey:" + api_key);  // as KeyService::create
      if (i % sample_every == 0 && static_cast<int64_t>(samples.size()) < sample_count) {
        samples.push_back({email, uid, api_key, secret});
      }
      keys.insert(keys.end(), {std::move(api_key), uid, "scale-" + std::to_string(i % kKeysPerUser),
                               std::string("HMAC_SHA256"), permissions, int64_t{0}, std::string(), int64_t{1}, now,
                               int64_t{0}, now + kTradeWithoutAllowlistMs, std::move(sealed), nullptr, now});
    }
    secrets_s += seconds_since(t);
    store.tx([&](store::Db& db) {
      if (!users.empty()) {
        store::insert_rows(db, "users (id, email, password_hash, totp_enabled, totp_sealed, created_at, updated_at)", 7,
                           users);
      }
      store::insert_rows(db,
                         "api_keys (api_key, user_id, label, key_type, permissions, read_only, ip_allowlist, active, "
                         "created_at, expires_at, trade_expires_at, secret_sealed, public_key, updated_at)",
                         14, keys);
    });
    made += batch;
  }

  // The sample's secrets come back out of the store as the key service will read them.
  for (const Sample& s : samples) {
    auto row = store.tx([&](store::Db& db) {
      return db.query_one("SELECT secret_sealed, user_id FROM api_keys WHERE api_key = ?", {s.api_key});
    });
    if (!row || row->int64(1) != s.uid || sealer.unseal(row->text(0), "apikey:" + s.api_key) != s.secret) {
      std::fprintf(stderr, "kg_bench_load_keys: key %s does not unseal to its secret\n", s.api_key.c_str());
      return 1;
    }
  }
  if (!sample_out.empty()) {
    std::ofstream out(sample_out);
    out << "{\"kind\":\"account\",\"users\":[";
    for (size_t i = 0; i < samples.size(); ++i) {
      const Sample& s = samples[i];
      out << (i ? "," : "") << "{\"email\":\"" << s.email << "\",\"uid\":" << s.uid << ",\"apiKey\":\"" << s.api_key
          << "\",\"secretKey\":\"" << s.secret << "\"}";
    }
    out << "]}\n";
  }
  std::printf("loaded %lld keys for %lld users into %s in %.1f s (%.1f s making and sealing secrets)\n",
              static_cast<long long>(n_keys), static_cast<long long>(n_users), data_dir.c_str(), seconds_since(start),
              secrets_s);
  return 0;
}
