#include "accounts/address_book.hpp"

#include <spdlog/spdlog.h>

namespace kg::accounts {

namespace {
constexpr const char* kColumns = "id, user_id, asset, network, address, tag, label, created_at, usable_at";

BookAddress from_row(const store::Row& r) {
  return {r.int64(0), r.int64(1), r.text(2), r.text(3), r.text(4), r.text(5), r.text(6), r.int64(7), r.int64(8)};
}
}  // namespace

AddressBook::AddressBook(store::Store& store, const Clock& clock, int64_t cooloff_s, int max_entries)
    : store_(store), clock_(clock), cooloff_s_(cooloff_s), max_entries_(max_entries) {}

Result<BookAddress> AddressBook::add(int64_t user_id, BookAddress e) {
  e.user_id = user_id;
  e.created_at = clock_.now_ms();
  e.usable_at = e.created_at + cooloff_s_ * 1000;
  return store_.tx([&](store::Db& db) -> Result<BookAddress> {
    if (db.query_one("SELECT COUNT(*) FROM withdraw_addresses WHERE user_id = ?", {user_id})->int64(0) >= max_entries_) {
      return make_error(err::kAddressBookFull, max_entries_);
    }
    if (db.query_one("SELECT 1 FROM withdraw_addresses WHERE user_id = ? AND asset = ? AND network = ? AND address = ? "
                     "AND tag = ?",
                     {user_id, e.asset, e.network, e.address, e.tag})) {
      return make_error(err::kAddressExists);
    }
    auto row = db.query_one(
        "INSERT INTO withdraw_addresses (user_id, asset, network, address, tag, label, created_at, usable_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        {user_id, e.asset, e.network, e.address, e.tag, e.label, e.created_at, e.usable_at});
    e.id = row->int64(0);
    spdlog::info("event=address_book_added uid={} id={} asset={} network={} usable_at={}", user_id, e.id, e.asset,
                 e.network, e.usable_at);
    return e;
  });
}

std::vector<BookAddress> AddressBook::list(int64_t user_id) {
  return store_.tx([&](store::Db& db) {
    std::vector<BookAddress> out;
    for (const auto& r : db.query(std::string("SELECT ") + kColumns + " FROM withdraw_addresses WHERE user_id = ? ORDER BY id",
                                  {user_id})) {
      out.push_back(from_row(r));
    }
    return out;
  });
}

Status AddressBook::remove(int64_t user_id, int64_t id) {
  const int64_t n = store_.tx(
      [&](store::Db& db) { return db.exec("DELETE FROM withdraw_addresses WHERE id = ? AND user_id = ?", {id, user_id}); });
  if (n == 0) return make_error(err::kNoBookAddress);
  spdlog::info("event=address_book_removed uid={} id={}", user_id, id);
  return ok_status();
}

std::optional<BookAddress> AddressBook::get(int64_t user_id, int64_t id) {
  auto row = store_.tx([&](store::Db& db) {
    return db.query_one(std::string("SELECT ") + kColumns + " FROM withdraw_addresses WHERE id = ? AND user_id = ?",
                        {id, user_id});
  });
  if (!row) return std::nullopt;
  return from_row(*row);
}

std::optional<BookAddress> AddressBook::find(int64_t user_id, const std::string& asset, const std::string& network,
                                             const std::string& address, const std::string& tag) {
  auto row = store_.tx([&](store::Db& db) {
    return db.query_one(std::string("SELECT ") + kColumns +
                            " FROM withdraw_addresses WHERE user_id = ? AND asset = ? AND network = ? AND address = ? "
                            "AND tag = ?",
                        {user_id, asset, network, address, tag});
  });
  if (!row) return std::nullopt;
  return from_row(*row);
}

bool AddressBook::whitelist_only(int64_t user_id) {
  auto row = store_.tx(
      [&](store::Db& db) { return db.query_one("SELECT withdraw_whitelist_only FROM users WHERE id = ?", {user_id}); });
  return !row || row->boolean(0);  // no such user: the safe answer
}

void AddressBook::set_whitelist_only(int64_t user_id, bool on) {
  store_.tx([&](store::Db& db) {
    db.exec("UPDATE users SET withdraw_whitelist_only = ?, updated_at = ? WHERE id = ?",
            {int64_t{on ? 1 : 0}, clock_.now_ms(), user_id});
  });
  spdlog::info("event=withdraw_whitelist_only uid={} on={}", user_id, on);
}

}  // namespace kg::accounts
