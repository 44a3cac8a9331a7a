// SQLite implementation of Db: one connection, WAL, synchronous=FULL, cached prepared statements.

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "store/db.hpp"

namespace kg::store {

namespace {

class SqliteDb final : public Db {
 public:
  explicit SqliteDb(const std::string& path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw StoreError("cannot open SQLite database " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
    exec_script("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  }

  ~SqliteDb() override {
    for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  int64_t exec(std::string_view sql, Params params) override {
    return exec_range(sql, params.begin(), params.size());
  }
  int64_t exec_values(std::string_view sql, const std::vector<Value>& params) override {
    return exec_range(sql, params.data(), params.size());
  }
  int64_t exec_range(std::string_view sql, const Value* params, size_t count) {
    sqlite3_stmt* stmt = prepare(sql, params, count);
    int rc = sqlite3_step(stmt);
    while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
    check_done(stmt, rc);
    return sqlite3_changes64(db_);
  }

  std::vector<Row> query(std::string_view sql, Params params) override {
    sqlite3_stmt* stmt = prepare(sql, params.begin(), params.size());
    std::vector<Row> rows;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      int n = sqlite3_column_count(stmt);
      std::vector<std::optional<std::string>> cols;
      cols.reserve(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) {
        if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
          cols.emplace_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
          cols.emplace_back(std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, i))));
        }
      }
      rows.emplace_back(std::move(cols));
    }
    check_done(stmt, rc);
    return rows;
  }

  void exec_script(std::string_view sql) override {
    std::string z(sql);
    char* err = nullptr;
    if (int rc = sqlite3_exec(db_, z.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      stop_on_fault(rc, msg);
      throw StoreError("SQLite: " + msg);
    }
  }

  // A writer takes the write lock at once (no deadlock upgrading from a read); a reader's deferred
  // BEGIN reads a snapshot without waiting for the writer (WAL).
  void begin() override { exec_script(read_only_ ? "BEGIN" : "BEGIN IMMEDIATE"); }
  void make_read_only() override {
    exec_script("PRAGMA query_only = ON");
    read_only_ = true;
  }
  void commit() override { exec_script("COMMIT"); }
  void rollback() override {
    if (!sqlite3_get_autocommit(db_)) exec_script("ROLLBACK");
  }

  std::vector<std::string> durability_warnings() override {
    std::vector<std::string> out;
    auto mode = query_one("PRAGMA journal_mode");
    if (mode && mode->text(0) != "wal") out.push_back("SQLite journal_mode is " + mode->text(0) + ", not wal");
    auto sync = query_one("PRAGMA synchronous");
    if (sync && sync->int64(0) < 2) out.push_back("SQLite synchronous is below FULL: a power loss may lose acknowledged writes");
    return out;
  }

 private:
  sqlite3_stmt* prepare(std::string_view sql, const Value* params, size_t count) {
    auto it = stmts_.find(std::string(sql));
    sqlite3_stmt* stmt = nullptr;
    if (it == stmts_.end()) {
      if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                             &stmt, nullptr) != SQLITE_OK) {
        throw StoreError(std::string("SQLite prepare: ") + sqlite3_errmsg(db_));
      }
      stmts_.emplace(std::string(sql), stmt);
    } else {
      stmt = it->second;
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
    int i = 1;
    for (const Value* p = params; p != params + count; ++p) {
      const Value& v = *p;
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::nullptr_t>(v)) {
        rc = sqlite3_bind_null(stmt, i);
      } else if (const auto* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, i, *n);
      } else {
        const auto& s = std::get<std::string>(v);
        rc = sqlite3_bind_text(stmt, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) throw StoreError(std::string("SQLite bind: ") + sqlite3_errmsg(db_));
      ++i;
    }
    return stmt;
  }

  void check_done(sqlite3_stmt* stmt, int rc) {
    if (rc == SQLITE_DONE) {
      sqlite3_reset(stmt);
      return;
    }
    std::string msg = sqlite3_errmsg(db_);
    int ext = sqlite3_extended_errcode(db_);
    sqlite3_reset(stmt);
    stop_on_fault(rc, msg);
    bool unique = ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY;
    throw StoreError("SQLite: " + msg, unique);
  }

  // Disk full, an I/O error (a failed write or fsync among them) or corruption: fail-stop (db.hpp).
  // Busy, constraint and misuse errors are the statement's own and leave the store sound.
  void stop_on_fault(int rc, const std::string& msg) {
    switch (rc & 0xff) {
      case SQLITE_IOERR:
      case SQLITE_FULL:
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
      case SQLITE_CANTOPEN:
        fail_stop("SQLite: " + msg + " (code " + std::to_string(rc) + ")");
      default:
        return;
    }
  }

  sqlite3* db_ = nullptr;
  bool read_only_ = false;
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;
};

}  // namespace

std::unique_ptr<Db> open_sqlite(const std::string& path) { return std::make_unique<SqliteDb>(path); }

}  // namespace kg::store
