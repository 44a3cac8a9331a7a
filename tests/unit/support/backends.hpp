#pragma once
// Store backends for typed tests: SQLite (a file in a fresh temporary directory) always, and
// PostgreSQL (a fresh database on the server named by KEYGATE_TEST_PG_URL) when that variable is
// set. A test fixture calls Backend::skip_reason() first and GTEST_SKIP()s when it has one.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include "store/db.hpp"

namespace kg::test {

inline constexpr const char* kPgUrlVar = "KEYGATE_TEST_PG_URL";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kg-unit-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string random_name_suffix() {
  std::random_device rd;
  const uint64_t v = (uint64_t{rd()} << 32) ^ rd();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) out += kHex[(v >> (4 * i)) & 15];
  return out;
}

// postgresql://user@host:port/db?opts -> the same URL naming database `name`.
inline std::string with_database(const std::string& url, const std::string& name) {
  const size_t scheme = url.find("://");
  const size_t authority = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t query = url.find('?', authority);
  const size_t path_end = query == std::string::npos ? url.size() : query;
  const size_t slash = url.find('/', authority);
  if (slash == std::string::npos || slash > path_end) {
    return url.substr(0, path_end) + "/" + name + url.substr(path_end);
  }
  return url.substr(0, slash + 1) + name + url.substr(path_end);
}

struct SqliteBackend {
  static constexpr store::Dialect kDialect = store::Dialect::kSqlite;
  static std::optional<std::string> skip_reason() { return std::nullopt; }

  SqliteBackend() : file_(dir_.path() / "keygate.db") {}
  // Each call opens a new connection to the same database.
  std::unique_ptr<store::Db> open() const { return store::open_sqlite(file_.string()); }
  const std::filesystem::path& file() const { return file_; }

 private:
  TempDir dir_;
  std::filesystem::path file_;
};

struct PostgresBackend {
  static constexpr store::Dialect kDialect = store::Dialect::kPostgres;
  static std::optional<std::string> skip_reason() {
    const char* url = std::getenv(kPgUrlVar);
    if (url == nullptr || *url == '\0') {
      return std::string(kPgUrlVar) +
             " is not set: PostgreSQL case skipped (run under scripts/with-postgres.sh)";
    }
    return std::nullopt;
  }

  PostgresBackend() : name_("kg_unit_" + random_name_suffix()) {
    const std::string admin_url = std::getenv(kPgUrlVar);
    admin_ = store::open_postgres(admin_url);
    admin_->exec_script("CREATE DATABASE " + name_);
    url_ = with_database(admin_url, name_);
  }
  ~PostgresBackend() {
    try {
      admin_->exec_script("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "could not drop " << name_ << ": " << e.what();
    }
  }
  PostgresBackend(const PostgresBackend&) = delete;
  PostgresBackend& operator=(const PostgresBackend&) = delete;

  std::unique_ptr<store::Db> open() const { return store::open_postgres(url_); }
  const std::string& url() const { return url_; }

 private:
  std::string name_;
  std::unique_ptr<store::Db> admin_;
  std::string url_;
};

using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;

}  // namespace kg::test
