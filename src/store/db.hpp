#pragma once
// The store interface: the one seam between keygate and its database.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kg::store {

// A statement parameter: NULL, an integer or text.
using Value = std::variant<std::nullptr_t, int64_t, std::string>;
using Params = std::initializer_list<Value>;

// The store failed (I/O error, lost connection, constraint). Nothing of the transaction stays.
class StoreError : public std::runtime_error {
 public:
  StoreError(const std::string& what, bool unique_violation = false)
      : std::runtime_error(what), unique_violation_(unique_violation) {}
  bool unique_violation() const { return unique_violation_; }

 private:
  bool unique_violation_;
};

class Row {
 public:
  explicit Row(std::vector<std::optional<std::string>> cols) : cols_(std::move(cols)) {}
  bool is_null(size_t i) const { return !cols_.at(i).has_value(); }
  const std::string& text(size_t i) const;
  int64_t int64(size_t i) const;
  bool boolean(size_t i) const { return int64(i) != 0; }
  std::optional<std::string> opt_text(size_t i) const { return cols_.at(i); }
  size_t size() const { return cols_.size(); }

 private:
  std::vector<std::optional<std::string>> cols_;
};

enum class Dialect { kSqlite, kPostgres };

class Db {
 public:
  virtual ~Db() = default;
  virtual Dialect dialect() const = 0;
  // One statement with `?` placeholders. Returns the number of rows changed.
  virtual int64_t exec(std::string_view sql, Params params = {}) = 0;
  virtual std::vector<Row> query(std::string_view sql, Params params = {}) = 0;
  // exec with as many parameters as the statement has, known only at run time (multi-row inserts).
  virtual int64_t exec_values(std::string_view sql, const std::vector<Value>& params) = 0;
  // Several statements, no parameters (migrations).
  virtual void exec_script(std::string_view sql) = 0;
  virtual void begin() = 0;
  // From now on every transaction on this connection only reads (a write is an error): how the
  // store's reader connection is opened (Store::add_reader).
  virtual void make_read_only() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  // Human-readable warnings about durability settings weaker than keygate's defaults.
  virtual std::vector<std::string> durability_warnings() = 0;

  std::optional<Row> query_one(std::string_view sql, Params params = {});
};

std::unique_ptr<Db> open_sqlite(const std::string& path);
std::unique_ptr<Db> open_postgres(const std::string& url);

// The store can no longer be trusted to hold what it is given: the disk is full, a write or an
// fsync failed, a page is corrupt, or a commit's outcome is unknown. Continuing could acknowledge
// a write the disk does not hold (after a failed fsync the kernel may drop the dirty pages and let
// the next fsync succeed), so keygate stops: it logs event=store_fault and exits with status 70.
// After a restart, recovery from the journal decides what was committed.
[[noreturn]] void fail_stop(std::string_view what);

// "postgresql://..." or "postgres://..." opens PostgreSQL; "sqlite:PATH" or a plain path, SQLite.
std::unique_ptr<Db> open_db(const std::string& url);

}  // namespace kg::store
