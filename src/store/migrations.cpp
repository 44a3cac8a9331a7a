#include "store/migrations.hpp"

namespace kg::store {

// Append only: a released migration never changes. Times are epoch milliseconds.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kAll = {
      {1, "accounts and two-factor authentication", R"sql(
CREATE TABLE meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE users (
  id {{ID}},
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  api_access INTEGER NOT NULL DEFAULT 1,
  totp_enabled INTEGER NOT NULL DEFAULT 0,
  totp_sealed TEXT,
  totp_pending_sealed TEXT,
  totp_last_step BIGINT NOT NULL DEFAULT 0,
  totp_failures INTEGER NOT NULL DEFAULT 0,
  totp_window_start BIGINT NOT NULL DEFAULT 0,
  totp_locked_until BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE login_attempts (
  email TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  window_start BIGINT NOT NULL,
  locked_until BIGINT NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  ip TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
)sql"},
      {2, "API keys and their access log", R"sql(
CREATE TABLE api_keys (
  id {{ID}},
  api_key TEXT NOT NULL UNIQUE,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  key_type TEXT NOT NULL,
  permissions INTEGER NOT NULL,
  read_only INTEGER NOT NULL,
  ip_allowlist TEXT NOT NULL,
  active INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  trade_expires_at BIGINT NOT NULL,
  secret_sealed TEXT,
  public_key TEXT,
  previous_secret_sealed TEXT,
  previous_secret_until BIGINT NOT NULL DEFAULT 0,
  last_used_at BIGINT NOT NULL DEFAULT 0,
  last_used_ip TEXT NOT NULL DEFAULT '',
  updated_at BIGINT NOT NULL
);
CREATE INDEX api_keys_user ON api_keys(user_id);
CREATE TABLE key_access_log (
  id {{ID}},
  key_id BIGINT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
  at BIGINT NOT NULL,
  ip TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  ok INTEGER NOT NULL,
  status INTEGER NOT NULL,
  reason TEXT NOT NULL,
  count INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX key_access_log_key ON key_access_log(key_id, id);
)sql"},
      {3, "ledger journal and deposits", R"sql(
CREATE TABLE journal_entries (
  id BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  reference TEXT NOT NULL
);
CREATE TABLE journal_postings (
  entry_id BIGINT NOT NULL REFERENCES journal_entries(id),
  seq INTEGER NOT NULL,
  account_kind INTEGER NOT NULL,
  owner BIGINT NOT NULL,
  asset TEXT NOT NULL,
  amount BIGINT NOT NULL,
  PRIMARY KEY (entry_id, seq)
);
CREATE TABLE deposits (
  txid TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id),
  asset TEXT NOT NULL,
  network TEXT NOT NULL,
  address TEXT NOT NULL,
  amount BIGINT NOT NULL,
  entry_id BIGINT NOT NULL REFERENCES journal_entries(id),
  created_at BIGINT NOT NULL
);
CREATE INDEX deposits_user ON deposits(user_id, created_at);
)sql"},
      {4, "internal transfers", R"sql(
CREATE TABLE transfers (
  tran_id BIGINT PRIMARY KEY REFERENCES journal_entries(id),
  from_user BIGINT NOT NULL REFERENCES users(id),
  to_user BIGINT NOT NULL REFERENCES users(id),
  asset TEXT NOT NULL,
  amount BIGINT NOT NULL,
  client_tran_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (from_user, client_tran_id)
);
CREATE INDEX transfers_to ON transfers(to_user, tran_id);
)sql"},
      {5, "deposit addresses, chain deposits, withdrawals, the address book, convert", R"sql(
CREATE TABLE deposit_addresses (
  user_id BIGINT NOT NULL REFERENCES users(id),
  network TEXT NOT NULL,
  address TEXT NOT NULL,
  tag TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, network),
  UNIQUE (network, address, tag)
);
CREATE TABLE chain_deposits (
  id BIGINT PRIMARY KEY,
  txid TEXT NOT NULL UNIQUE,
  user_id BIGINT NOT NULL REFERENCES users(id),
  asset TEXT NOT NULL,
  network TEXT NOT NULL,
  address TEXT NOT NULL,
  tag TEXT NOT NULL,
  amount BIGINT NOT NULL,
  status INTEGER NOT NULL,
  confirmations_needed INTEGER NOT NULL,
  seen_at BIGINT NOT NULL,
  credited_at BIGINT NOT NULL,
  entry_id BIGINT REFERENCES journal_entries(id)
);
INSERT INTO chain_deposits (id, txid, user_id, asset, network, address, tag, amount, status,
                            confirmations_needed, seen_at, credited_at, entry_id)
  SELECT entry_id, txid, user_id, asset, network, address, '', amount, 1, 0, created_at, created_at, entry_id
  FROM deposits;
DROP TABLE deposits;
CREATE INDEX chain_deposits_user ON chain_deposits(user_id, id);
CREATE TABLE withdraw_addresses (
  id {{ID}},
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  asset TEXT NOT NULL,
  network TEXT NOT NULL,
  address TEXT NOT NULL,
  tag TEXT NOT NULL,
  label TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  usable_at BIGINT NOT NULL,
  UNIQUE (user_id, asset, network, address, tag)
);
ALTER TABLE users ADD COLUMN withdraw_whitelist_only INTEGER NOT NULL DEFAULT 1;
ALTER TABLE api_keys ADD COLUMN withdraw_address_ids TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN withdraw_daily_caps TEXT NOT NULL DEFAULT '';
CREATE TABLE withdrawals (
  id BIGINT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id),
  key_id BIGINT NOT NULL,
  withdraw_order_id TEXT NOT NULL,
  asset TEXT NOT NULL,
  network TEXT NOT NULL,
  address TEXT NOT NULL,
  tag TEXT NOT NULL,
  amount BIGINT NOT NULL,
  fee BIGINT NOT NULL,
  status INTEGER NOT NULL,
  txid TEXT NOT NULL,
  info TEXT NOT NULL,
  applied_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  request_entry BIGINT NOT NULL REFERENCES journal_entries(id),
  final_entry BIGINT REFERENCES journal_entries(id)
);
CREATE UNIQUE INDEX withdrawals_order_id ON withdrawals(user_id, withdraw_order_id) WHERE withdraw_order_id <> '';
CREATE INDEX withdrawals_user ON withdrawals(user_id, id);
CREATE TABLE converts (
  order_id BIGINT PRIMARY KEY REFERENCES journal_entries(id),
  quote_id TEXT NOT NULL UNIQUE,
  user_id BIGINT NOT NULL REFERENCES users(id),
  from_asset TEXT NOT NULL,
  from_amount BIGINT NOT NULL,
  to_asset TEXT NOT NULL,
  to_amount BIGINT NOT NULL,
  ratio BIGINT NOT NULL,
  inverse_ratio BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX converts_user ON converts(user_id, created_at);
)sql"},
      {6, "spot orders and trades", R"sql(
CREATE TABLE orders (
  order_id BIGINT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id),
  symbol TEXT NOT NULL,
  client_order_id TEXT NOT NULL,
  side TEXT NOT NULL,
  type TEXT NOT NULL,
  time_in_force TEXT NOT NULL,
  stp TEXT NOT NULL,
  price BIGINT NOT NULL,
  orig_qty BIGINT NOT NULL,
  orig_quote_qty BIGINT NOT NULL,
  executed_qty BIGINT NOT NULL,
  cumm_quote_qty BIGINT NOT NULL,
  status TEXT NOT NULL,
  held BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX orders_user ON orders(user_id, symbol, order_id);
CREATE INDEX orders_open ON orders(status, order_id);
CREATE TABLE trades (
  trade_id BIGINT PRIMARY KEY,
  symbol TEXT NOT NULL,
  base_asset TEXT NOT NULL,
  quote_asset TEXT NOT NULL,
  price BIGINT NOT NULL,
  qty BIGINT NOT NULL,
  quote_qty BIGINT NOT NULL,
  buyer_id BIGINT NOT NULL REFERENCES users(id),
  buyer_order_id BIGINT NOT NULL,
  buyer_fee BIGINT NOT NULL,
  seller_id BIGINT NOT NULL REFERENCES users(id),
  seller_order_id BIGINT NOT NULL,
  seller_fee BIGINT NOT NULL,
  buyer_maker INTEGER NOT NULL,
  entry_id BIGINT NOT NULL REFERENCES journal_entries(id),
  created_at BIGINT NOT NULL
);
CREATE INDEX trades_buyer ON trades(buyer_id, symbol, trade_id);
CREATE INDEX trades_seller ON trades(seller_id, symbol, trade_id);
CREATE INDEX trades_symbol ON trades(symbol, trade_id);
)sql"},
      {7, "market data by time", R"sql(
CREATE INDEX trades_time ON trades(symbol, created_at);
)sql"},
      {8, "per-key rate limits", R"sql(
ALTER TABLE api_keys ADD COLUMN max_orders_10s BIGINT NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN max_weight_1m BIGINT NOT NULL DEFAULT 0;
)sql"},
  };
  return kAll;
}

std::string render_migration(const Migration& m, Dialect dialect) {
  const std::string id = dialect == Dialect::kSqlite
                             ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                             : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
  std::string sql = m.sql;
  for (size_t pos; (pos = sql.find("{{ID}}")) != std::string::npos;) sql.replace(pos, 6, id);
  return sql;
}

}  // namespace kg::store
