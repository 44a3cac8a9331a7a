#include "store/store.hpp"

#include <spdlog/spdlog.h>

#include <ctime>

#include "store/migrations.hpp"

namespace kg::store {

namespace {
constexpr const char* kCreateVersions =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "applied_at BIGINT NOT NULL)";
}

int Store::schema_version() {
  return tx([](Db& db) {
    db.exec(kCreateVersions);
    auto row = db.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    return static_cast<int>(row->int64(0));
  });
}

int Store::migrate() {
  int current = schema_version();
  for (const Migration& m : migrations()) {
    if (m.version <= current) continue;
    tx([&](Db& db) {
      // Re-check inside the transaction: another server may have migrated meanwhile.
      auto row = db.query_one("SELECT COUNT(*) FROM schema_migrations WHERE version = ?",
                              {int64_t{m.version}});
      if (row->int64(0) > 0) return;
      db.exec_script(render_migration(m, db.dialect()));
      db.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, "
              "?)",
              {int64_t{m.version}, std::string(m.name), static_cast<int64_t>(std::time(nullptr)) * 1000});
    });
    spdlog::info("event=migration_applied version={} name=\"{}\"", m.version, m.name);
    current = m.version;
  }
  return current;
}

std::vector<std::string> Store::durability_warnings() {
  std::lock_guard lock(mu_);
  return db_->durability_warnings();
}

}  // namespace kg::store
