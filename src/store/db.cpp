#include "store/db.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdlib>

namespace kg::store {

const std::string& Row::text(size_t i) const {
  const auto& c = cols_.at(i);
  if (!c) throw StoreError("unexpected NULL in column " + std::to_string(i));
  return *c;
}

int64_t Row::int64(size_t i) const {
  const std::string& s = text(i);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    throw StoreError("column " + std::to_string(i) + " is not an integer");
  }
  return v;
}

std::optional<Row> Db::query_one(std::string_view sql, Params params) {
  auto rows = query(sql, params);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

void fail_stop(std::string_view what) {
  spdlog::critical("event=store_fault error=\"{}\" action=exit", what);
  spdlog::shutdown();  // flush: _Exit runs no destructors
  std::_Exit(70);
}

std::unique_ptr<Db> open_db(const std::string& url) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return open_postgres(url);
  if (url.starts_with("sqlite:")) return open_sqlite(url.substr(7));
  return open_sqlite(url);
}

}  // namespace kg::store
