#pragma once
// Store: owns the connection (and an optional reader connection), serialises access, and runs each
// unit of work in one transaction.

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "store/db.hpp"

namespace kg::store {

class Store {
 public:
  explicit Store(std::unique_ptr<Db> db) : db_(std::move(db)) {}

  // A second connection to the same database, for `read`: readers then neither wait behind the
  // writer's transactions (an engine commit holds the connection through its fsync) nor hold it
  // up. Set once at start-up, after migrate() and before any other thread uses the store.
  void add_reader(std::unique_ptr<Db> reader) {
    reader->make_read_only();
    reader_ = std::move(reader);
  }

  // Applies pending migrations; returns the schema version now in force.
  int migrate();
  int schema_version();
  Dialect dialect() const { return db_->dialect(); }
  std::vector<std::string> durability_warnings();

  // Runs fn(Db&) inside one transaction; commits when it returns, rolls back when it throws.
  template <typename Fn>
  auto tx(Fn&& fn) -> decltype(fn(std::declval<Db&>())) {
    return in_transaction(mu_, *db_, std::forward<Fn>(fn));
  }
  // The same for a unit of work that only reads: on the reader connection when there is one (it
  // sees every transaction committed before it began, and none in progress), else as `tx`.
  template <typename Fn>
  auto read(Fn&& fn) -> decltype(fn(std::declval<Db&>())) {
    if (!reader_) return tx(std::forward<Fn>(fn));
    return in_transaction(reader_mu_, *reader_, std::forward<Fn>(fn));
  }

 private:
  template <typename Fn>
  static auto in_transaction(std::mutex& mu, Db& db, Fn&& fn) -> decltype(fn(db)) {
    std::lock_guard lock(mu);
    db.begin();
    try {
      if constexpr (std::is_void_v<decltype(fn(db))>) {
        fn(db);
        db.commit();
      } else {
        auto result = fn(db);
        db.commit();
        return result;
      }
    } catch (...) {
      try { db.rollback(); } catch (...) {}
      throw;
    }
  }

  std::mutex mu_;
  std::unique_ptr<Db> db_;
  std::mutex reader_mu_;
  std::unique_ptr<Db> reader_;
};

}  // namespace kg::store
