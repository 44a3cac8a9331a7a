#pragma once
// The users columns that make a User, shared by the queries of this module.

#include "accounts/accounts.hpp"
#include "store/db.hpp"

namespace kg::accounts {

inline constexpr const char* kUserColumns = "id, email, api_access, totp_enabled, created_at";

inline User user_from_row(const store::Row& r, size_t first = 0) {
  return User{r.int64(first), r.text(first + 1), r.boolean(first + 2), r.boolean(first + 3),
              r.int64(first + 4)};
}

// Row locks for read-modify-write on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises.
inline const char* for_update(const store::Db& db) {
  return db.dialect() == store::Dialect::kPostgres ? " FOR UPDATE" : "";
}

}  // namespace kg::accounts
