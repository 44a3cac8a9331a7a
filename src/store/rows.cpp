#include "store/rows.hpp"

#include <stdexcept>

namespace kg::store {

namespace {
constexpr size_t kRowsPerStatement = 32;

std::string insert_sql(const std::string& table_columns, size_t columns, size_t rows) {
  std::string row = "(";
  for (size_t c = 0; c < columns; ++c) row += c == 0 ? "?" : ", ?";
  row += ")";
  std::string sql = "INSERT INTO " + table_columns + " VALUES ";
  for (size_t r = 0; r < rows; ++r) {
    if (r > 0) sql += ", ";
    sql += row;
  }
  return sql;
}
}  // namespace

void insert_rows(Db& db, const std::string& table_columns, size_t columns, const std::vector<Value>& values) {
  if (columns == 0 || values.size() % columns != 0) throw std::logic_error("insert_rows: values are not whole rows");
  const size_t rows = values.size() / columns;
  size_t done = 0;
  if (rows >= kRowsPerStatement) {
    const std::string many = insert_sql(table_columns, columns, kRowsPerStatement);
    std::vector<Value> chunk;
    chunk.reserve(kRowsPerStatement * columns);
    for (; rows - done >= kRowsPerStatement; done += kRowsPerStatement) {
      chunk.assign(values.begin() + static_cast<std::ptrdiff_t>(done * columns),
                   values.begin() + static_cast<std::ptrdiff_t>((done + kRowsPerStatement) * columns));
      db.exec_values(many, chunk);
    }
  }
  if (done == rows) return;
  const std::string one = insert_sql(table_columns, columns, 1);
  std::vector<Value> row;
  for (; done < rows; ++done) {
    row.assign(values.begin() + static_cast<std::ptrdiff_t>(done * columns),
               values.begin() + static_cast<std::ptrdiff_t>((done + 1) * columns));
    db.exec_values(one, row);
  }
}

}  // namespace kg::store
