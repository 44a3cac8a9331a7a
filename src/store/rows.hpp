#pragma once
// Many rows into one table in few statements: a group commit writes hundreds of journal postings,
// and one INSERT of 32 rows costs little more than one of a single row.

#include <string>
#include <vector>

#include "store/db.hpp"

namespace kg::store {

// Inserts `values` (rows of `columns` values, one row after another) into `table_columns`
// ("journal_postings (entry_id, seq, ...)"): 32 rows a statement while there are that many, then a
// row a statement, so each table needs only two prepared statements whatever the count.
void insert_rows(Db& db, const std::string& table_columns, size_t columns, const std::vector<Value>& values);

}  // namespace kg::store
