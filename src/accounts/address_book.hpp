#pragma once
// The withdrawal address book ("address management"): the addresses a user allows withdrawals
// to, each usable after a cooling-off period, and the switch that makes API withdrawals go only
// to them. Adding an address and turning the switch off need 2FA; the routes check the code.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace kg::accounts {

struct BookAddress {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string asset;
  std::string network;
  std::string address;
  std::string tag;
  std::string label;
  int64_t created_at = 0;
  int64_t usable_at = 0;  // created_at + the cooling-off period
};

class AddressBook {
 public:
  AddressBook(store::Store& store, const Clock& clock, int64_t cooloff_s, int max_entries);

  // The caller has checked the 2FA code and that the address is valid on the network.
  Result<BookAddress> add(int64_t user_id, BookAddress entry);
  std::vector<BookAddress> list(int64_t user_id);
  // Another user's entry and a missing one get the same -7437.
  Status remove(int64_t user_id, int64_t id);
  std::optional<BookAddress> get(int64_t user_id, int64_t id);
  std::optional<BookAddress> find(int64_t user_id, const std::string& asset, const std::string& network,
                                  const std::string& address, const std::string& tag);

  // On by default: a new account withdraws through the API only to its book.
  bool whitelist_only(int64_t user_id);
  void set_whitelist_only(int64_t user_id, bool on);
  int64_t cooloff_s() const { return cooloff_s_; }

 private:
  store::Store& store_;
  const Clock& clock_;
  int64_t cooloff_s_;
  int max_entries_;
};

}  // namespace kg::accounts
