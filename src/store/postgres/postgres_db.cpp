// PostgreSQL implementation of Db through libpq: text parameters, `?` rewritten to $n.

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "store/db.hpp"

namespace kg::store {

namespace {

using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

// "a = ? AND b = '?'" -> "a = $1 AND b = '?'": placeholders outside quoted literals are numbered.
std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 8);
  int n = 0;
  bool in_quote = false;
  for (char c : sql) {
    if (c == '\'') in_quote = !in_quote;
    if (c == '?' && !in_quote) {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

class PostgresDb final : public Db {
 public:
  explicit PostgresDb(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw StoreError("cannot connect to PostgreSQL: " + msg);
    }
    exec_script("SET client_min_messages = WARNING; SET synchronous_commit = on;");
  }
  ~PostgresDb() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::kPostgres; }

  int64_t exec(std::string_view sql, Params params) override {
    return exec_range(sql, params.begin(), params.size());
  }
  int64_t exec_values(std::string_view sql, const std::vector<Value>& params) override {
    return exec_range(sql, params.data(), params.size());
  }
  int64_t exec_range(std::string_view sql, const Value* params, size_t count) {
    PgResult res = run(sql, params, count);
    const char* n = PQcmdTuples(res.get());
    return n && *n ? std::stoll(n) : 0;
  }

  std::vector<Row> query(std::string_view sql, Params params) override {
    PgResult res = run(sql, params.begin(), params.size());
    std::vector<Row> rows;
    int nrows = PQntuples(res.get());
    int ncols = PQnfields(res.get());
    rows.reserve(static_cast<size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      std::vector<std::optional<std::string>> cols;
      cols.reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(res.get(), r, c)) {
          cols.emplace_back(std::nullopt);
        } else {
          cols.emplace_back(std::string(PQgetvalue(res.get(), r, c),
                                        static_cast<size_t>(PQgetlength(res.get(), r, c))));
        }
      }
      rows.emplace_back(std::move(cols));
    }
    return rows;
  }

  void exec_script(std::string_view sql) override {
    std::string z(sql);
    PgResult res(PQexec(conn_, z.c_str()), &PQclear);
    check(res.get());
  }

  void begin() override {
    if (PQstatus(conn_) != CONNECTION_OK) PQreset(conn_);  // reconnect after a lost connection
    exec_script(read_only_ ? "BEGIN READ ONLY" : "BEGIN");
  }
  void make_read_only() override { read_only_ = true; }  // per transaction: survives a reconnect
  // A COMMIT that gets no answer may or may not have happened: fail-stop (db.hpp) rather than
  // report "nothing changed" for a transaction the server may hold.
  void commit() override {
    PgResult res(PQexec(conn_, "COMMIT"), &PQclear);
    if (!res || PQstatus(conn_) != CONNECTION_OK) {
      fail_stop(std::string("PostgreSQL: COMMIT without an answer: ") + PQerrorMessage(conn_));
    }
    check(res.get());
  }
  void rollback() override {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) exec_script("ROLLBACK");
  }

  std::vector<std::string> durability_warnings() override {
    std::vector<std::string> out;
    for (const char* name : {"fsync", "synchronous_commit", "full_page_writes"}) {
      auto row = query_one(std::string("SELECT current_setting('") + name + "')");
      if (row && row->text(0) != "on") {
        out.push_back(std::string("PostgreSQL ") + name + " is " + row->text(0) +
                      ": a crash may lose acknowledged writes");
      }
    }
    return out;
  }

 private:
  PgResult run(std::string_view sql, const Value* params, size_t count) {
    auto it = rewritten_.find(std::string(sql));
    if (it == rewritten_.end()) {
      it = rewritten_.emplace(std::string(sql), number_placeholders(sql)).first;
    }
    std::vector<std::string> storage;
    std::vector<const char*> values;
    storage.reserve(count);
    for (const Value* p = params; p != params + count; ++p) {
      const Value& v = *p;
      if (std::holds_alternative<std::nullptr_t>(v)) {
        storage.emplace_back();
      } else if (const auto* n = std::get_if<int64_t>(&v)) {
        storage.push_back(std::to_string(*n));
      } else {
        storage.push_back(std::get<std::string>(v));
      }
    }
    for (size_t i = 0; i < count; ++i) {
      values.push_back(std::holds_alternative<std::nullptr_t>(params[i]) ? nullptr : storage[i].c_str());
    }
    PgResult res(PQexecParams(conn_, it->second.c_str(), static_cast<int>(values.size()), nullptr,
                              values.data(), nullptr, nullptr, 0),
                 &PQclear);
    check(res.get());
    return res;
  }

  void check(PGresult* res) {
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return;
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    // Class 53 (disk full, out of memory), 58 (I/O error) and XX (corruption): fail-stop (db.hpp).
    std::string_view sqlstate = state ? state : "";
    if (sqlstate.starts_with("53") || sqlstate.starts_with("58") || sqlstate.starts_with("XX")) {
      fail_stop(std::string("PostgreSQL: ") + PQerrorMessage(conn_) + " (SQLSTATE " + state + ")");
    }
    bool unique = state && std::string_view(state) == "23505";
    throw StoreError(std::string("PostgreSQL: ") + PQerrorMessage(conn_), unique);
  }

  PGconn* conn_;
  bool read_only_ = false;
  std::unordered_map<std::string, std::string> rewritten_;
};

}  // namespace

std::unique_ptr<Db> open_postgres(const std::string& url) { return std::make_unique<PostgresDb>(url); }

}  // namespace kg::store
