#pragma once
// Store: owns the connection, serialises access, and runs each unit of work in one transaction.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace kg::store {

class Store {
 public:
  explicit Store(std::unique_ptr<Db> db) : db_(std::move(db)) {}

  // Applies pending migrations; returns the schema version now in force.
  int migrate();
  int schema_version();
  Dialect dialect() const { return db_->dialect(); }
  std::vector<std::string> durability_warnings();

  // Runs fn(Db&) inside one transaction; commits when it returns, rolls back when it throws.
  template <typename Fn>
  auto tx(Fn&& fn) -> decltype(fn(std::declval<Db&>())) {
    std::lock_guard lock(mu_);
    db_->begin();
    try {
      if constexpr (std::is_void_v<decltype(fn(*db_))>) {
        fn(*db_);
        db_->commit();
      } else {
        auto result = fn(*db_);
        db_->commit();
        return result;
      }
    } catch (...) {
      try { db_->rollback(); } catch (...) {}
      throw;
    }
  }

 private:
  std::mutex mu_;
  std::unique_ptr<Db> db_;
};

}  // namespace kg::store
