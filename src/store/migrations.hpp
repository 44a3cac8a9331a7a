#pragma once

#include <string>
#include <vector>

#include "store/db.hpp"

namespace kg::store {

struct Migration {
  int version;
  const char* name;
  const char* sql;  // portable SQL; {{ID}} becomes the dialect's auto-increment primary key
};

const std::vector<Migration>& migrations();
std::string render_migration(const Migration& m, Dialect dialect);

}  // namespace kg::store
