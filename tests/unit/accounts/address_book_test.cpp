// The withdrawal address book against every backend: the cooling-off period, one entry per
// address, the size limit, entries only their owner sees or removes, and the "whitelist only"
// switch that is on by default and persists.

#include "accounts/address_book.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/accounts_fixture.hpp"

namespace kg::accounts {
namespace {

using test::Backends;

constexpr int64_t kCooloffS = 86'400;
constexpr int kMaxEntries = 4;
const std::string kEthAddr = "0x" + std::string(40, 'a');
const std::string kXrpAddr = "rEb8TK3gBgk5auZkwc6sHnwrGVJH8DuaLh";

BookAddress entry(const std::string& asset, const std::string& network, const std::string& address,
                  const std::string& tag = "", const std::string& label = "") {
  BookAddress e;
  e.asset = asset;
  e.network = network;
  e.address = address;
  e.tag = tag;
  e.label = label;
  return e;
}

template <typename Backend>
class AddressBookTest : public AccountsFixture<Backend> {
 protected:
  void SetUp() override {
    AccountsFixture<Backend>::SetUp();
    if (this->IsSkipped()) return;
    alice_ = this->signup("alice@example.com", "correct horse battery").id;
    bob_ = this->signup("bob@example.com", "correct horse battery").id;
    book_ = std::make_unique<AddressBook>(*this->store_, this->clock_, kCooloffS, kMaxEntries);
  }
  void TearDown() override {
    book_.reset();
    AccountsFixture<Backend>::TearDown();
  }

  BookAddress add(int64_t user, const BookAddress& e) {
    auto added = book_->add(user, e);
    EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().msg);
    return added.ok() ? *added : BookAddress{};
  }
  std::vector<int64_t> ids(int64_t user) {
    std::vector<int64_t> out;
    for (const auto& e : book_->list(user)) out.push_back(e.id);
    return out;
  }

  std::unique_ptr<AddressBook> book_;
  int64_t alice_ = 0, bob_ = 0;
};

TYPED_TEST_SUITE(AddressBookTest, Backends);

TYPED_TEST(AddressBookTest, AnEntryIsUsableOnlyAfterTheCoolingOff) {
  const int64_t now = this->clock_.now_ms();
  const BookAddress e = this->add(this->alice_, entry("ETH", "ETH", kEthAddr, "", "cold wallet"));
  EXPECT_GT(e.id, 0);
  EXPECT_EQ(e.user_id, this->alice_);
  EXPECT_EQ(e.created_at, now);
  EXPECT_EQ(e.usable_at, now + kCooloffS * 1000);
  EXPECT_EQ(this->book_->cooloff_s(), kCooloffS);
  // Stored as returned.
  const auto got = this->book_->get(this->alice_, e.id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->asset, "ETH");
  EXPECT_EQ(got->network, "ETH");
  EXPECT_EQ(got->address, kEthAddr);
  EXPECT_EQ(got->tag, "");
  EXPECT_EQ(got->label, "cold wallet");
  EXPECT_EQ(got->created_at, now);
  EXPECT_EQ(got->usable_at, now + kCooloffS * 1000);
  // What the caller passes for the times and the owner is not taken.
  BookAddress forged = entry("ETH", "BSC", kEthAddr);
  forged.user_id = this->bob_;
  forged.created_at = 0;
  forged.usable_at = 0;
  const BookAddress f = this->add(this->alice_, forged);
  EXPECT_EQ(f.user_id, this->alice_);
  EXPECT_EQ(f.usable_at, now + kCooloffS * 1000);
  EXPECT_TRUE(this->book_->list(this->bob_).empty());
  // The period comes from the book's configuration.
  AddressBook quick(*this->store_, this->clock_, 60, kMaxEntries);
  this->clock_.advance_ms(5000);
  auto q = quick.add(this->bob_, entry("ETH", "ETH", kEthAddr));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->usable_at, now + 5000 + 60'000);
}

TYPED_TEST(AddressBookTest, AnAddressIsInTheBookOnce) {
  const int64_t a = this->alice_;
  this->add(a, entry("XRP", "XRP", kXrpAddr, "123"));
  auto again = this->book_->add(a, entry("XRP", "XRP", kXrpAddr, "123", "another label"));
  this->expect_error(again, -7436);
  // Another tag, network or asset is another entry; so is the same address for another user.
  this->add(a, entry("XRP", "XRP", kXrpAddr, "456"));
  this->add(a, entry("XRP", "XRP", kXrpAddr));
  this->add(this->bob_, entry("XRP", "XRP", kXrpAddr, "123"));
  EXPECT_EQ(this->book_->list(a).size(), 3u);
}

TYPED_TEST(AddressBookTest, TheBookIsLimitedInSize) {
  const int64_t a = this->alice_;
  std::vector<int64_t> added;
  for (int i = 0; i < kMaxEntries; ++i) {
    added.push_back(this->add(a, entry("ETH", "ETH", "0x" + std::string(39, 'a') + std::to_string(i))).id);
  }
  auto full = this->book_->add(a, entry("ETH", "ETH", kEthAddr));
  this->expect_error(full, -7438);
  EXPECT_EQ(this->book_->list(a).size(), static_cast<size_t>(kMaxEntries));
  // Someone else's book is not affected; a removal makes room.
  this->add(this->bob_, entry("ETH", "ETH", kEthAddr));
  ASSERT_TRUE(this->book_->remove(a, added[1]).ok());
  this->add(a, entry("ETH", "ETH", kEthAddr));
  this->expect_error(this->book_->add(a, entry("ETH", "BSC", kEthAddr)), -7438);
}

TYPED_TEST(AddressBookTest, EntriesAreTheOwnersOnly) {
  const int64_t a = this->alice_, b = this->bob_;
  const BookAddress mine = this->add(a, entry("ETH", "ETH", kEthAddr));
  const BookAddress theirs = this->add(b, entry("ETH", "ETH", kEthAddr));
  const BookAddress second = this->add(a, entry("XRP", "XRP", kXrpAddr, "9"));
  EXPECT_EQ(this->ids(a), (std::vector<int64_t>{mine.id, second.id}));
  EXPECT_EQ(this->ids(b), (std::vector<int64_t>{theirs.id}));

  EXPECT_TRUE(this->book_->get(a, mine.id).has_value());
  EXPECT_FALSE(this->book_->get(a, theirs.id).has_value());
  EXPECT_FALSE(this->book_->get(b, mine.id).has_value());
  const auto found = this->book_->find(a, "ETH", "ETH", kEthAddr, "");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, mine.id);
  EXPECT_EQ(this->book_->find(b, "ETH", "ETH", kEthAddr, "")->id, theirs.id);
  EXPECT_TRUE(this->book_->find(a, "XRP", "XRP", kXrpAddr, "9").has_value());
  // find matches every part exactly.
  EXPECT_FALSE(this->book_->find(a, "XRP", "XRP", kXrpAddr, "").has_value());
  EXPECT_FALSE(this->book_->find(a, "XRP", "XRP", kXrpAddr, "99").has_value());
  EXPECT_FALSE(this->book_->find(a, "ETH", "BSC", kEthAddr, "").has_value());
  EXPECT_FALSE(this->book_->find(a, "USDT", "ETH", kEthAddr, "").has_value());
  EXPECT_FALSE(this->book_->find(a, "ETH", "ETH", "0x" + std::string(40, 'A'), "").has_value());

  // Another user's entry and a missing one answer alike, and nothing is removed.
  auto other = this->book_->remove(a, theirs.id);
  auto missing = this->book_->remove(a, theirs.id + 1000);
  this->expect_error(other, -7437);
  this->expect_error(missing, -7437);
  EXPECT_EQ(other.error().msg, missing.error().msg);
  EXPECT_TRUE(this->book_->get(b, theirs.id).has_value());
  // The owner removes it; then it is gone for them too.
  ASSERT_TRUE(this->book_->remove(a, mine.id).ok());
  EXPECT_FALSE(this->book_->get(a, mine.id).has_value());
  EXPECT_FALSE(this->book_->find(a, "ETH", "ETH", kEthAddr, "").has_value());
  this->expect_error(this->book_->remove(a, mine.id), -7437);
  EXPECT_EQ(this->ids(a), (std::vector<int64_t>{second.id}));
}

TYPED_TEST(AddressBookTest, ReaddingARemovedAddressStartsTheCoolingOffAgain) {
  const int64_t a = this->alice_;
  const BookAddress first = this->add(a, entry("ETH", "ETH", kEthAddr));
  this->clock_.advance_ms(2 * kCooloffS * 1000);
  ASSERT_TRUE(this->book_->remove(a, first.id).ok());
  const BookAddress again = this->add(a, entry("ETH", "ETH", kEthAddr));
  EXPECT_NE(again.id, first.id);
  EXPECT_EQ(again.usable_at, this->clock_.now_ms() + kCooloffS * 1000);
  EXPECT_GT(again.usable_at, this->clock_.now_ms());
}

TYPED_TEST(AddressBookTest, WhitelistOnlyIsOnByDefaultAndPersists) {
  const int64_t a = this->alice_, b = this->bob_;
  EXPECT_TRUE(this->book_->whitelist_only(a));
  EXPECT_TRUE(this->book_->whitelist_only(b));
  EXPECT_TRUE(this->book_->whitelist_only(999'999));  // no such user: the safe answer
  this->book_->set_whitelist_only(a, false);
  EXPECT_FALSE(this->book_->whitelist_only(a));
  EXPECT_TRUE(this->book_->whitelist_only(b));
  // Persisted: another book on another connection sees it.
  {
    store::Store other(this->backend_->open());
    AddressBook book(other, this->clock_, kCooloffS, kMaxEntries);
    EXPECT_FALSE(book.whitelist_only(a));
    EXPECT_TRUE(book.whitelist_only(b));
  }
  this->book_->set_whitelist_only(a, true);
  EXPECT_TRUE(this->book_->whitelist_only(a));
  this->book_->set_whitelist_only(a, false);
  this->book_->set_whitelist_only(a, false);
  EXPECT_FALSE(this->book_->whitelist_only(a));
}

}  // namespace
}  // namespace kg::accounts
