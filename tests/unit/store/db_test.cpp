// The Db interface, run against every backend: values, NULL, placeholders, errors, transactions.

#include "store/db.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/rows.hpp"
#include "support/backends.hpp"

namespace kg::store {
namespace {

using test::Backends;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

template <typename Backend>
class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = Backend::skip_reason()) GTEST_SKIP() << *why;
    backend_ = std::make_unique<Backend>();
    db_ = backend_->open();
    db_->exec_script(
        "CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT, s TEXT, u TEXT UNIQUE, "
        "req TEXT NOT NULL DEFAULT 'x')");
  }
  void TearDown() override {
    db_.reset();
    backend_.reset();
  }

  void insert(int64_t id, Value n, Value s) {
    db_->exec("INSERT INTO t (id, n, s) VALUES (?, ?, ?)", {id, n, s});
  }
  std::optional<Row> row(int64_t id) {
    return db_->query_one("SELECT n, s FROM t WHERE id = ?", {id});
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Db> db_;
};

TYPED_TEST_SUITE(DbTest, Backends);

TYPED_TEST(DbTest, ReportsItsDialect) {
  EXPECT_EQ(this->db_->dialect(), TypeParam::kDialect);
}

TYPED_TEST(DbTest, Int64ExtremesRoundTrip) {
  const int64_t values[] = {kMax, kMax - 1, kMin, kMin + 1, -1, 0, 1, 1'700'000'000'000};
  int64_t id = 0;
  for (int64_t v : values) this->insert(++id, v, nullptr);
  id = 0;
  for (int64_t v : values) {
    auto r = this->row(++id);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->int64(0), v);
  }
  // Stored as integers: compared and ordered numerically, found by an int64 parameter.
  auto max_row = this->db_->query_one("SELECT id FROM t WHERE n = ?", {kMax});
  ASSERT_TRUE(max_row.has_value());
  EXPECT_EQ(max_row->int64(0), 1);
  auto rows = this->db_->query("SELECT n FROM t ORDER BY n");
  ASSERT_EQ(rows.size(), std::size(values));
  EXPECT_EQ(rows.front().int64(0), kMin);
  EXPECT_EQ(rows[1].int64(0), kMin + 1);
  EXPECT_EQ(rows[2].int64(0), -1);
  EXPECT_EQ(rows.back().int64(0), kMax);
  auto sum = this->db_->query_one("SELECT COUNT(*) FROM t WHERE n < 0");
  EXPECT_EQ(sum->int64(0), 3);
}

TYPED_TEST(DbTest, TextRoundTripsExactly) {
  const std::string values[] = {
      "it's", "quote ' and \" double", "what?",          "?",           "",
      "?, ?", "ünïcødé ✓ 密码",        "new\nline\ttab", "back\\slash", "$1"};
  int64_t id = 0;
  for (const auto& v : values) this->insert(++id, nullptr, v);
  id = 0;
  for (const auto& v : values) {
    auto r = this->row(++id);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->is_null(1));
    EXPECT_EQ(r->text(1), v);
  }
  auto found = this->db_->query_one("SELECT id FROM t WHERE s = ?", {std::string("it's")});
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->int64(0), 1);
}

TYPED_TEST(DbTest, QuestionMarksInsideLiteralsAreNotPlaceholders) {
  this->db_->exec("INSERT INTO t (id, s, n) VALUES (?, 'what?', ?)", {int64_t{1}, int64_t{7}});
  this->db_->exec("INSERT INTO t (id, s, n) VALUES (?, 'it''s ? or ?', ?)",
                  {int64_t{2}, int64_t{8}});
  EXPECT_EQ(this->row(1)->text(1), "what?");
  EXPECT_EQ(this->row(1)->int64(0), 7);
  EXPECT_EQ(this->row(2)->text(1), "it's ? or ?");
  EXPECT_EQ(this->row(2)->int64(0), 8);
  auto r = this->db_->query_one("SELECT id FROM t WHERE s = 'what?' AND n = ?", {int64_t{7}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->int64(0), 1);
  auto q = this->db_->query_one("SELECT '?', ?, 'a''?''b'", {std::string("p")});
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->text(0), "?");
  EXPECT_EQ(q->text(1), "p");
  EXPECT_EQ(q->text(2), "a'?'b");
}

TYPED_TEST(DbTest, NullValues) {
  this->insert(1, nullptr, nullptr);
  this->insert(2, int64_t{5}, std::string("x"));
  auto r = this->row(1);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->is_null(0));
  EXPECT_TRUE(r->is_null(1));
  EXPECT_EQ(r->opt_text(1), std::nullopt);
  EXPECT_THROW((void)r->text(1), StoreError);
  EXPECT_THROW((void)r->int64(0), StoreError);
  auto r2 = this->row(2);
  EXPECT_FALSE(r2->is_null(0));
  EXPECT_EQ(r2->opt_text(1), std::optional<std::string>("x"));
  // An empty string is not NULL.
  this->insert(3, nullptr, std::string());
  EXPECT_FALSE(this->row(3)->is_null(1));
  auto nulls = this->db_->query("SELECT id FROM t WHERE s IS NULL");
  ASSERT_EQ(nulls.size(), 1u);
  EXPECT_EQ(nulls[0].int64(0), 1);
  // Setting a value back to NULL through a parameter.
  this->db_->exec("UPDATE t SET s = ? WHERE id = ?", {nullptr, int64_t{2}});
  EXPECT_TRUE(this->row(2)->is_null(1));
}

TYPED_TEST(DbTest, RowAccessors) {
  this->insert(1, int64_t{1}, std::string("12abc"));
  auto r = this->db_->query_one("SELECT n, s, id FROM t WHERE id = ?", {int64_t{1}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->size(), 3u);
  EXPECT_TRUE(r->boolean(0));
  EXPECT_THROW((void)r->int64(1), StoreError);  // not an integer
  EXPECT_THROW((void)r->text(3), std::out_of_range);
}

TYPED_TEST(DbTest, ExecReturnsTheNumberOfRowsChanged) {
  for (int64_t id = 1; id <= 3; ++id) this->insert(id, id, nullptr);
  EXPECT_EQ(this->db_->exec("UPDATE t SET n = n + 10 WHERE id <= ?", {int64_t{2}}), 2);
  EXPECT_EQ(this->db_->exec("UPDATE t SET n = 0 WHERE id = ?", {int64_t{99}}), 0);
  EXPECT_EQ(this->db_->exec("DELETE FROM t WHERE id = ?", {int64_t{3}}), 1);
  EXPECT_EQ(this->row(1)->int64(0), 11);
  EXPECT_EQ(this->row(3), std::nullopt);
}

TYPED_TEST(DbTest, QueryReturnsRowsInOrderAndQueryOneTheFirst) {
  for (int64_t id = 1; id <= 5; ++id) this->insert(id, 100 - id, nullptr);
  auto rows = this->db_->query("SELECT id FROM t WHERE id > ? ORDER BY n", {int64_t{2}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].int64(0), 5);
  EXPECT_EQ(rows[1].int64(0), 4);
  EXPECT_EQ(rows[2].int64(0), 3);
  auto first = this->db_->query_one("SELECT id FROM t ORDER BY id DESC");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->int64(0), 5);
}

TYPED_TEST(DbTest, QueryOneOnNoRowsIsNullopt) {
  EXPECT_EQ(this->db_->query_one("SELECT id FROM t WHERE id = ?", {int64_t{1}}), std::nullopt);
  EXPECT_TRUE(this->db_->query("SELECT id FROM t").empty());
}

TYPED_TEST(DbTest, UniqueViolationIsFlagged) {
  this->insert(1, nullptr, nullptr);
  try {
    this->insert(1, nullptr, nullptr);
    FAIL() << "a duplicate primary key was accepted";
  } catch (const StoreError& e) {
    EXPECT_TRUE(e.unique_violation()) << e.what();
  }
  this->db_->exec("UPDATE t SET u = ? WHERE id = ?", {std::string("same"), int64_t{1}});
  this->insert(2, nullptr, nullptr);
  try {
    this->db_->exec("UPDATE t SET u = ? WHERE id = ?", {std::string("same"), int64_t{2}});
    FAIL() << "a duplicate UNIQUE value was accepted";
  } catch (const StoreError& e) {
    EXPECT_TRUE(e.unique_violation()) << e.what();
  }
  // The connection is still usable.
  this->insert(3, int64_t{3}, nullptr);
  EXPECT_EQ(this->row(3)->int64(0), 3);
}

TYPED_TEST(DbTest, OtherErrorsAreNotUniqueViolations) {
  try {
    this->db_->exec("INSERT INTO t (id, req) VALUES (?, ?)", {int64_t{1}, nullptr});
    FAIL() << "NULL accepted in a NOT NULL column";
  } catch (const StoreError& e) {
    EXPECT_FALSE(e.unique_violation()) << e.what();
  }
  try {
    this->db_->exec("INSERT INTO no_such_table (id) VALUES (?)", {int64_t{1}});
    FAIL() << "insert into a missing table succeeded";
  } catch (const StoreError& e) {
    EXPECT_FALSE(e.unique_violation()) << e.what();
  }
  EXPECT_THROW(this->db_->query("SELEC 1"), StoreError);
  EXPECT_THROW(this->db_->exec_script("CREATE TABLE t (id BIGINT)"), StoreError);
  this->insert(1, int64_t{1}, nullptr);
  EXPECT_EQ(this->row(1)->int64(0), 1);
}

TYPED_TEST(DbTest, ExecScriptRunsSeveralStatements) {
  this->db_->exec_script(
      "CREATE TABLE a (x BIGINT); INSERT INTO a (x) VALUES (1); INSERT INTO a (x) VALUES (2);");
  EXPECT_EQ(this->db_->query_one("SELECT SUM(x) FROM a")->int64(0), 3);
}

TYPED_TEST(DbTest, BeginRollbackAndCommit) {
  this->db_->begin();
  this->insert(1, nullptr, nullptr);
  this->db_->rollback();
  EXPECT_EQ(this->row(1), std::nullopt);
  this->db_->begin();
  this->insert(2, nullptr, nullptr);
  this->db_->commit();
  EXPECT_TRUE(this->row(2).has_value());
  this->db_->rollback();  // outside a transaction: nothing to do, no error
  EXPECT_TRUE(this->row(2).has_value());
}

TYPED_TEST(DbTest, UncommittedChangesAreInvisibleToAnotherConnection) {
  auto other = this->backend_->open();
  this->db_->begin();
  this->insert(1, nullptr, nullptr);
  EXPECT_EQ(other->query_one("SELECT id FROM t WHERE id = ?", {int64_t{1}}), std::nullopt);
  this->db_->commit();
  EXPECT_TRUE(other->query_one("SELECT id FROM t WHERE id = ?", {int64_t{1}}).has_value());
}

TYPED_TEST(DbTest, ReopenedDatabaseKeepsItsData) {
  this->insert(1, kMax, std::string("kept"));
  this->db_.reset();
  this->db_ = this->backend_->open();
  auto r = this->row(1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->int64(0), kMax);
  EXPECT_EQ(r->text(1), "kept");
}

TYPED_TEST(DbTest, DurabilityWarningsReflectTheSettings) {
  if constexpr (TypeParam::kDialect == Dialect::kSqlite) {
    EXPECT_TRUE(this->db_->durability_warnings().empty());  // WAL + synchronous=FULL by default
    EXPECT_EQ(this->db_->query_one("PRAGMA journal_mode")->text(0), "wal");
    EXPECT_EQ(this->db_->query_one("PRAGMA synchronous")->int64(0), 2);
    this->db_->exec_script("PRAGMA synchronous=NORMAL");
    auto warnings = this->db_->durability_warnings();
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("synchronous"), std::string::npos) << warnings[0];
  } else {
    // The throwaway test cluster may run with fsync=off: a warning must name each weak setting.
    auto warnings = this->db_->durability_warnings();
    size_t weak = 0;
    for (const char* name : {"fsync", "synchronous_commit", "full_page_writes"}) {
      const std::string value =
          this->db_->query_one(std::string("SELECT current_setting('") + name + "')")->text(0);
      bool named = false;
      for (const auto& w : warnings)
        named = named || w.find(std::string(name) + " is") != std::string::npos;
      EXPECT_EQ(named, value != "on") << name << " = " << value;
      weak += value != "on";
    }
    EXPECT_EQ(warnings.size(), weak);
    EXPECT_EQ(this->db_->query_one("SELECT current_setting('synchronous_commit')")->text(0), "on");
  }
}

TYPED_TEST(DbTest, OpenDbDispatchesOnTheUrl) {
  if constexpr (TypeParam::kDialect == Dialect::kSqlite) {
    const auto file = this->backend_->file();
    auto prefixed = open_db("sqlite:" + file.string());
    EXPECT_EQ(prefixed->dialect(), Dialect::kSqlite);
    prefixed->exec("INSERT INTO t (id) VALUES (?)", {int64_t{1}});
    auto plain = open_db(file.string());
    EXPECT_EQ(plain->dialect(), Dialect::kSqlite);
    EXPECT_TRUE(plain->query_one("SELECT id FROM t WHERE id = 1").has_value());
    const auto other = file.parent_path() / "other.db";
    open_db("sqlite:" + other.string());
    EXPECT_TRUE(std::filesystem::exists(other));
  } else {
    auto db = open_db(this->backend_->url());
    EXPECT_EQ(db->dialect(), Dialect::kPostgres);
    db->exec("INSERT INTO t (id) VALUES (?)", {int64_t{1}});
    EXPECT_TRUE(this->row(1).has_value());
    ASSERT_TRUE(this->backend_->url().starts_with("postgresql://"));
    std::string alt = this->backend_->url();
    alt.replace(0, std::string("postgresql://").size(), "postgres://");
    EXPECT_EQ(open_db(alt)->dialect(), Dialect::kPostgres);
  }
}

TEST(OpenDb, FailuresAreStoreErrors) {
  EXPECT_THROW(open_sqlite("/nonexistent-dir-for-keygate-tests/x/keygate.db"), StoreError);
  // A Unix socket directory that does not exist: fails without touching the network.
  EXPECT_THROW(open_postgres("postgresql:///postgres?host=/nonexistent-dir-for-keygate-tests"),
               StoreError);
}

// Many rows in few statements: every row arrives, in order, whatever the count around the chunk
// size (32), with NULLs and text intact; a partial row is refused before anything is written.
TYPED_TEST(DbTest, InsertRowsWritesEveryRowAroundTheChunkSize) {
  int64_t next = 1;
  for (size_t count : {0, 1, 31, 32, 33, 70}) {
    std::vector<Value> values;
    const int64_t first = next;
    for (size_t i = 0; i < count; ++i, ++next) {
      values.insert(values.end(), {next, i % 3 == 0 ? Value(nullptr) : Value(next * 10), "s" + std::to_string(next)});
    }
    insert_rows(*this->db_, "t (id, n, s)", 3, values);
    auto n = this->db_->query_one("SELECT COUNT(*) FROM t WHERE id >= ?", {first});
    EXPECT_EQ(n->int64(0), static_cast<int64_t>(count)) << count;
  }
  auto r = this->row(35);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->int64(0), 350);
  EXPECT_EQ(r->text(1), "s35");
  EXPECT_TRUE(this->row(1)->is_null(0));
  EXPECT_THROW(insert_rows(*this->db_, "t (id, n, s)", 3, {int64_t{999}, int64_t{1}}), std::logic_error);
  EXPECT_FALSE(this->row(999));
}

}  // namespace
}  // namespace kg::store
