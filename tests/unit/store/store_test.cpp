// Store (transactions, serialised access) and the migrations, against every backend.

#include "store/store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/migrations.hpp"
#include "support/backends.hpp"

namespace kg::store {
namespace {

using test::Backends;

template <typename Backend>
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = Backend::skip_reason()) GTEST_SKIP() << *why;
    backend_ = std::make_unique<Backend>();
    store_ = std::make_unique<Store>(backend_->open());
  }
  void TearDown() override {
    store_.reset();
    backend_.reset();
  }

  void create_table() {
    store_->tx([](Db& db) { db.exec_script("CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT)"); });
  }
  // Read through a separate connection, so only committed data is seen.
  std::optional<Row> committed_row(int64_t id) {
    return backend_->open()->query_one("SELECT n FROM t WHERE id = ?", {id});
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE(StoreTest, Backends);

TYPED_TEST(StoreTest, FreshDatabaseHasSchemaVersionZero) {
  EXPECT_EQ(this->store_->schema_version(), 0);
  EXPECT_EQ(this->store_->dialect(), TypeParam::kDialect);
}

TYPED_TEST(StoreTest, MigrateAppliesEveryMigration) {
  const auto& all = migrations();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(this->store_->migrate(), all.back().version);
  EXPECT_EQ(this->store_->schema_version(), all.back().version);

  auto rows = this->backend_->open()->query(
      "SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
  ASSERT_EQ(rows.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(rows[i].int64(0), all[i].version);
    EXPECT_EQ(rows[i].text(1), all[i].name);
    EXPECT_GT(rows[i].int64(2), 1'600'000'000'000);  // epoch milliseconds
  }
  // The schema is in place.
  auto db = this->backend_->open();
  for (const char* table : {"meta", "users", "login_attempts", "sessions"}) {
    EXPECT_EQ(db->query_one(std::string("SELECT COUNT(*) FROM ") + table)->int64(0), 0) << table;
  }
}

TYPED_TEST(StoreTest, MigrateIsIdempotent) {
  const int version = this->store_->migrate();
  EXPECT_NO_THROW(EXPECT_EQ(this->store_->migrate(), version));
  EXPECT_EQ(this->store_->schema_version(), version);
  // A second server starting on the same database does nothing either.
  Store second(this->backend_->open());
  EXPECT_EQ(second.schema_version(), version);
  EXPECT_NO_THROW(EXPECT_EQ(second.migrate(), version));
  auto count = this->backend_->open()->query_one("SELECT COUNT(*) FROM schema_migrations");
  EXPECT_EQ(count->int64(0), static_cast<int64_t>(migrations().size()));
}

TYPED_TEST(StoreTest, MigratedSchemaEnforcesItsConstraints) {
  this->store_->migrate();
  this->store_->tx([](Db& db) {
    auto id = db.query_one(
        "INSERT INTO users (email, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?) "
        "RETURNING id",
        {std::string("a@example.com"), std::string("h"), int64_t{1}, int64_t{1}});
    ASSERT_TRUE(id.has_value());
    db.exec(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip) VALUES (?, ?, ?, "
        "?, ?)",
        {std::string("t1"), id->int64(0), int64_t{1}, int64_t{2}, std::string("127.0.0.1")});
  });
  // The same email twice.
  try {
    this->store_->tx([](Db& db) {
      db.exec(
          "INSERT INTO users (email, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?)",
          {std::string("a@example.com"), std::string("h"), int64_t{1}, int64_t{1}});
    });
    FAIL() << "duplicate email accepted";
  } catch (const StoreError& e) {
    EXPECT_TRUE(e.unique_violation()) << e.what();
  }
  // A session for a user that does not exist.
  try {
    this->store_->tx([](Db& db) {
      db.exec(
          "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip) VALUES (?, ?, ?, "
          "?, ?)",
          {std::string("t2"), int64_t{999}, int64_t{1}, int64_t{2}, std::string("127.0.0.1")});
    });
    FAIL() << "session for a missing user accepted";
  } catch (const StoreError& e) {
    EXPECT_FALSE(e.unique_violation()) << e.what();
  }
  // Deleting the user deletes its sessions.
  const int64_t sessions_left = this->store_->tx([](Db& db) {
    db.exec("DELETE FROM users WHERE email = ?", {std::string("a@example.com")});
    return db.query_one("SELECT COUNT(*) FROM sessions")->int64(0);
  });
  EXPECT_EQ(sessions_left, 0);
}

TYPED_TEST(StoreTest, TxCommitsWhenTheFunctionReturns) {
  this->create_table();
  this->store_->tx([](Db& db) {
    db.exec("INSERT INTO t (id, n) VALUES (?, ?)", {int64_t{1}, int64_t{10}});
  });
  auto row = this->committed_row(1);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->int64(0), 10);
}

TYPED_TEST(StoreTest, TxReturnsTheFunctionsValue) {
  this->create_table();
  const int64_t n = this->store_->tx([](Db& db) {
    db.exec("INSERT INTO t (id, n) VALUES (?, ?)", {int64_t{1}, int64_t{41}});
    return db.query_one("SELECT n + 1 FROM t WHERE id = 1")->int64(0);
  });
  EXPECT_EQ(n, 42);
  EXPECT_TRUE(this->committed_row(1).has_value());
}

TYPED_TEST(StoreTest, TxRollsBackWhenTheFunctionThrows) {
  this->create_table();
  EXPECT_THROW(this->store_->tx([](Db& db) {
    db.exec("INSERT INTO t (id, n) VALUES (?, ?)", {int64_t{1}, int64_t{10}});
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(this->committed_row(1), std::nullopt);
  const bool seen = this->store_->tx(
      [](Db& db) { return db.query_one("SELECT n FROM t WHERE id = 1").has_value(); });
  EXPECT_FALSE(seen);
}

TYPED_TEST(StoreTest, TxRollsBackEverythingWhenAStatementFails) {
  this->create_table();
  this->store_->tx([](Db& db) { db.exec("INSERT INTO t (id, n) VALUES (1, 1)"); });
  try {
    this->store_->tx([](Db& db) {
      db.exec("INSERT INTO t (id, n) VALUES (2, 2)");
      db.exec("UPDATE t SET n = 100 WHERE id = 1");
      db.exec("INSERT INTO t (id, n) VALUES (1, 3)");  // duplicate key
    });
    FAIL() << "duplicate key accepted";
  } catch (const StoreError& e) {
    EXPECT_TRUE(e.unique_violation()) << e.what();
  }
  EXPECT_EQ(this->committed_row(2), std::nullopt);
  EXPECT_EQ(this->committed_row(1)->int64(0), 1);
  // The store is usable afterwards (no transaction left open or aborted).
  this->store_->tx([](Db& db) { db.exec("INSERT INTO t (id, n) VALUES (2, 20)"); });
  EXPECT_EQ(this->committed_row(2)->int64(0), 20);
}

TYPED_TEST(StoreTest, TxSerialisesConcurrentReadModifyWrite) {
  this->create_table();
  this->store_->tx([](Db& db) { db.exec("INSERT INTO t (id, n) VALUES (1, 0)"); });
  constexpr int kThreads = 4;
  constexpr int kIncrements = 25;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([this] {
      for (int j = 0; j < kIncrements; ++j) {
        this->store_->tx([](Db& db) {
          const int64_t n = db.query_one("SELECT n FROM t WHERE id = 1")->int64(0);
          db.exec("UPDATE t SET n = ? WHERE id = 1", {n + 1});
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(this->committed_row(1)->int64(0), kThreads * kIncrements);
}

// The reader connection (Store::add_reader): a read sees what was committed before it, runs while
// a write transaction is open (an engine commit holds the writer through its fsync) without
// seeing it, and cannot write.
TYPED_TEST(StoreTest, ReadsRunBesideAnOpenWriteAndSeeOnlyCommits) {
  this->create_table();
  this->store_->add_reader(this->backend_->open());
  this->store_->tx([](Db& db) { db.exec("INSERT INTO t (id, n) VALUES (1, 10)"); });
  auto n_of = [this](int64_t id) {
    return this->store_->read([id](Db& db) -> std::optional<int64_t> {
      auto row = db.query_one("SELECT n FROM t WHERE id = ?", {id});
      return row ? std::optional<int64_t>(row->int64(0)) : std::nullopt;
    });
  };
  EXPECT_EQ(n_of(1), 10);

  std::promise<void> written, release;
  auto released = release.get_future();
  std::thread writer([&] {
    this->store_->tx([&](Db& db) {
      db.exec("UPDATE t SET n = 11 WHERE id = 1");
      db.exec("INSERT INTO t (id, n) VALUES (2, 20)");
      written.set_value();
      released.wait();  // the write transaction stays open until the reads are done
    });
  });
  written.get_future().wait();
  auto during = std::async(std::launch::async, [&] { return std::make_pair(n_of(1), n_of(2)); });
  const bool answered = during.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  EXPECT_TRUE(answered) << "a read waited behind the open write transaction";
  release.set_value();
  writer.join();
  const auto [one, two] = during.get();
  if (answered) {
    EXPECT_EQ(one, 10);  // answered while the writer held its transaction: the last commit
    EXPECT_EQ(two, std::nullopt);
  }
  EXPECT_EQ(n_of(1), 11);  // committed before this read began
  EXPECT_EQ(n_of(2), 20);

  EXPECT_THROW(this->store_->read([](Db& db) { db.exec("UPDATE t SET n = 0 WHERE id = 1"); }), StoreError);
  EXPECT_EQ(this->committed_row(1)->int64(0), 11);
  EXPECT_EQ(n_of(1), 11);  // the reader is usable after the refused write
}

TYPED_TEST(StoreTest, DurabilityWarnings) {
  auto warnings = this->store_->durability_warnings();
  if constexpr (TypeParam::kDialect == Dialect::kSqlite) {
    EXPECT_TRUE(warnings.empty()) << warnings.front();
  } else {
    const bool fsync_on =
        this->backend_->open()->query_one("SELECT current_setting('fsync')")->text(0) == "on";
    EXPECT_EQ(warnings.empty(), fsync_on);
  }
}

TEST(Migrations, VersionsStartAtOneAndIncrease) {
  const auto& all = migrations();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().version, 1);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_EQ(all[i].version, all[i - 1].version + 1);
  for (const auto& m : all) {
    EXPECT_NE(std::string(m.name), "");
    EXPECT_NE(std::string(m.sql), "");
  }
}

TEST(Migrations, RenderReplacesTheIdPlaceholderPerDialect) {
  for (const auto& m : migrations()) {
    const std::string sqlite = render_migration(m, Dialect::kSqlite);
    const std::string pg = render_migration(m, Dialect::kPostgres);
    EXPECT_EQ(sqlite.find("{{ID}}"), std::string::npos);
    EXPECT_EQ(pg.find("{{ID}}"), std::string::npos);
    if (std::string(m.sql).find("{{ID}}") != std::string::npos) {
      EXPECT_NE(sqlite.find("INTEGER PRIMARY KEY AUTOINCREMENT"), std::string::npos);
      EXPECT_NE(pg.find("GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"), std::string::npos);
      EXPECT_EQ(pg.find("AUTOINCREMENT"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace kg::store
