// The per-key access log against every backend: accepted and refused entries, merging of
// accepted requests within one second, retention (and how often it is applied), last use (and how
// often the background flush writes it), and keys deleted before a flush.

#include "keys/access_log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <string>
#include <vector>

#include "keys/keys_fixture.hpp"

namespace kg::keys {
namespace {

using kg::test::Backends;

template <typename Backend>
class AccessLogTest : public test::KeysFixture<Backend> {
 protected:
  void SetUp() override {
    test::KeysFixture<Backend>::SetUp();
    if (this->IsSkipped()) return;
    // Start on a whole second, so that "the same second" is under the test's control.
    this->clock_.set_ms(1'700'000'100'000);
    // No background thread: flushes happen where the test says, so merges are deterministic.
    log_ = std::make_unique<AccessLog>(*this->store_, this->clock_, 1000, std::chrono::milliseconds(0));
  }
  void TearDown() override {
    log_.reset();
    test::KeysFixture<Backend>::TearDown();
  }

  std::shared_ptr<const KeyEntry> new_key(int64_t user_id) {
    auto issued = this->create_ok(user_id);
    return this->index_.find(issued.key.api_key);
  }

  std::unique_ptr<AccessLog> log_;
};
TYPED_TEST_SUITE(AccessLogTest, Backends);

TYPED_TEST(AccessLogTest, AcceptedAndRefusedNewestFirstWithReasons) {
  auto key = this->new_key(this->alice_);
  ASSERT_NE(key, nullptr);
  const int64_t t0 = this->clock_.now_ms();
  this->log_->record(*key, "192.0.2.1", "GET", "/api/v3/account", 200);
  this->clock_.advance_ms(1500);
  this->log_->record(*key, "192.0.2.2", "POST", "/api/v3/order", 401, "IP 192.0.2.2 is not in the allowlist");
  this->clock_.advance_ms(10);
  this->log_->record(*key, "192.0.2.1", "DELETE", "/api/v3/order", 400, "signature is not valid");
  this->log_->flush();

  auto entries = this->log_->recent(key->key.id, 10);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].reason, "signature is not valid");
  EXPECT_FALSE(entries[0].ok);
  EXPECT_EQ(entries[0].status, 400);
  EXPECT_EQ(entries[0].method, "DELETE");
  EXPECT_EQ(entries[0].at, t0 + 1510);

  EXPECT_EQ(entries[1].reason, "IP 192.0.2.2 is not in the allowlist");
  EXPECT_FALSE(entries[1].ok);
  EXPECT_EQ(entries[1].status, 401);
  EXPECT_EQ(entries[1].ip, "192.0.2.2");
  EXPECT_EQ(entries[1].path, "/api/v3/order");
  EXPECT_EQ(entries[1].at, t0 + 1500);

  EXPECT_TRUE(entries[2].ok);
  EXPECT_EQ(entries[2].reason, "");
  EXPECT_EQ(entries[2].status, 200);
  EXPECT_EQ(entries[2].ip, "192.0.2.1");
  EXPECT_EQ(entries[2].method, "GET");
  EXPECT_EQ(entries[2].path, "/api/v3/account");
  EXPECT_EQ(entries[2].at, t0);
  EXPECT_EQ(entries[2].count, 1);
  for (const auto& e : entries) EXPECT_EQ(e.key_id, key->key.id);

  // A limit returns the newest.
  auto two = this->log_->recent(key->key.id, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].reason, "signature is not valid");
  // Another key's log is separate.
  auto other = this->new_key(this->alice_);
  EXPECT_TRUE(this->log_->recent(other->key.id, 10).empty());
}

TYPED_TEST(AccessLogTest, StatusOf400OrAboveIsARefusalEvenWithoutAReason) {
  auto key = this->new_key(this->alice_);
  this->log_->record(*key, "192.0.2.1", "GET", "/x", 500);
  auto entries = this->log_->recent(key->key.id, 10);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_FALSE(entries[0].ok);
  EXPECT_EQ(entries[0].status, 500);
}

TYPED_TEST(AccessLogTest, AcceptedRequestsWithinOneSecondMerge) {
  auto key = this->new_key(this->alice_);
  const int64_t t0 = this->clock_.now_ms();  // a whole second
  for (int i = 0; i < 5; ++i) {
    this->log_->record(*key, "192.0.2.1", "GET", "/api/v3/account", 200);
    this->clock_.advance_ms(100);
  }
  this->clock_.set_ms(t0 + 999);
  this->log_->record(*key, "192.0.2.1", "GET", "/api/v3/account", 200);  // still the same second
  this->log_->flush();
  auto entries = this->log_->recent(key->key.id, 10);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].count, 6);
  EXPECT_EQ(entries[0].at, t0);
  EXPECT_TRUE(entries[0].ok);
}

TYPED_TEST(AccessLogTest, MergingNeedsTheSameSecondIpPathMethodAndStatus) {
  auto key = this->new_key(this->alice_);
  auto other = this->new_key(this->alice_);
  const int64_t t0 = this->clock_.now_ms();
  this->clock_.set_ms(t0 + 999);
  this->log_->record(*key, "192.0.2.1", "GET", "/a", 200);
  this->clock_.set_ms(t0 + 1000);  // next second
  this->log_->record(*key, "192.0.2.1", "GET", "/a", 200);
  this->log_->record(*key, "192.0.2.2", "GET", "/a", 200);  // other IP
  this->log_->record(*key, "192.0.2.2", "GET", "/b", 200);  // other path
  this->log_->record(*key, "192.0.2.2", "POST", "/b", 200);  // other method
  this->log_->record(*key, "192.0.2.2", "POST", "/b", 201);  // other status
  this->log_->record(*other, "192.0.2.2", "POST", "/b", 201);  // other key
  this->log_->record(*key, "192.0.2.2", "POST", "/b", 201);  // merges
  // Refusals are never merged.
  this->log_->record(*key, "192.0.2.2", "POST", "/b", 401, "key is inactive");
  this->log_->record(*key, "192.0.2.2", "POST", "/b", 401, "key is inactive");
  this->log_->flush();

  auto entries = this->log_->recent(key->key.id, 100);
  ASSERT_EQ(entries.size(), 8u);
  EXPECT_EQ(entries[0].reason, "key is inactive");
  EXPECT_EQ(entries[1].reason, "key is inactive");
  EXPECT_EQ(entries[0].count, 1);
  EXPECT_EQ(entries[1].count, 1);
  EXPECT_EQ(entries[2].status, 201);
  EXPECT_EQ(entries[2].count, 2);
  for (size_t i = 3; i < entries.size(); ++i) EXPECT_EQ(entries[i].count, 1) << i;
  EXPECT_EQ(entries.back().at, t0 + 999);
  auto others = this->log_->recent(other->key.id, 100);
  ASSERT_EQ(others.size(), 1u);
  EXPECT_EQ(others[0].count, 1);
}

TYPED_TEST(AccessLogTest, AfterAFlushAcceptedRequestsStartANewEntry) {
  auto key = this->new_key(this->alice_);
  this->log_->record(*key, "192.0.2.1", "GET", "/a", 200);
  this->log_->flush();
  this->log_->record(*key, "192.0.2.1", "GET", "/a", 200);
  auto entries = this->log_->recent(key->key.id, 10);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].count + entries[1].count, 2);
}

TYPED_TEST(AccessLogTest, RetentionKeepsTheNewestEntriesPerKey) {
  auto small = std::make_unique<AccessLog>(*this->store_, this->clock_, 5, std::chrono::milliseconds(0));
  auto key = this->new_key(this->alice_);
  auto other = this->new_key(this->bob_);
  for (int i = 0; i < 12; ++i) {
    small->record(*key, "192.0.2.1", "GET", "/a", 401, "refusal " + std::to_string(i));
    this->clock_.advance_ms(1);
  }
  for (int i = 0; i < 3; ++i) small->record(*other, "192.0.2.1", "GET", "/a", 401, "other");
  small->flush();
  auto entries = small->recent(key->key.id, 100);
  ASSERT_EQ(entries.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(entries[static_cast<size_t>(i)].reason, "refusal " + std::to_string(11 - i));
  EXPECT_EQ(small->recent(other->key.id, 100).size(), 3u);

  // And again on a later flush.
  for (int i = 12; i < 15; ++i) small->record(*key, "192.0.2.1", "GET", "/a", 401, "refusal " + std::to_string(i));
  small->flush();
  entries = small->recent(key->key.id, 100);
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries.front().reason, "refusal 14");
  EXPECT_EQ(entries.back().reason, "refusal 10");
  auto rows = this->store_->tx([&](store::Db& db) {
    return db.query_one("SELECT COUNT(*) FROM key_access_log WHERE key_id = ?", {key->key.id})->int64(0);
  });
  EXPECT_EQ(rows, 5);
}

// A key's stored log is cut back to the retention once it has a tenth of that in new rows: never
// more than retention + retention / 10 - 1 rows, and the newest are the ones kept.
TYPED_TEST(AccessLogTest, RetentionIsAppliedEveryTenthOfItsRows) {
  auto log = std::make_unique<AccessLog>(*this->store_, this->clock_, 30, std::chrono::milliseconds(0));
  auto key = this->new_key(this->alice_);
  auto rows = [&] {
    return this->store_->tx([&](store::Db& db) {
      return db.query_one("SELECT COUNT(*) FROM key_access_log WHERE key_id = ?", {key->key.id})->int64(0);
    });
  };
  int n = 0;
  auto refuse = [&](int times) {
    for (int i = 0; i < times; ++i) log->record(*key, "192.0.2.1", "GET", "/a", 401, "refusal " + std::to_string(n++));
    log->flush();
  };
  refuse(31);  // cut at the 30th row: 30 kept, and the 31st is the first of the next three
  EXPECT_EQ(rows(), 30);
  refuse(1);
  EXPECT_EQ(rows(), 31);  // two new rows: no cut yet
  refuse(1);
  EXPECT_EQ(rows(), 30);  // the third: cut
  for (int i = 0; i < 20; ++i) {
    refuse(1);
    EXPECT_LE(rows(), 32);
  }
  const auto entries = log->recent(key->key.id, 100);
  ASSERT_GE(entries.size(), 30u);
  EXPECT_EQ(entries.front().reason, "refusal " + std::to_string(n - 1));
  EXPECT_EQ(entries[29].reason, "refusal " + std::to_string(n - 30));
}

// The background flush writes a key in use's last use at most every 10 seconds, and writes the
// latest once they have passed even with no new use; flush() writes it at once.
TYPED_TEST(AccessLogTest, BackgroundFlushWritesLastUseEveryTenSeconds) {
  auto log = std::make_unique<AccessLog>(*this->store_, this->clock_, 1000, std::chrono::milliseconds(5));
  auto key = this->new_key(this->alice_);
  auto stored = [&] { return this->stored(key->key.api_key, "last_used_at")->int64(0); };
  auto wait_for = [&](int64_t at) {
    for (int i = 0; i < 400 && stored() != at; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return stored();
  };
  const int64_t t0 = this->clock_.now_ms();
  log->record(*key, "192.0.2.1", "GET", "/a", 200);
  EXPECT_EQ(wait_for(t0), t0);  // the first use: at once

  this->clock_.advance_ms(2000);
  log->record(*key, "192.0.2.1", "GET", "/a", 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // many flushes
  EXPECT_EQ(stored(), t0);
  EXPECT_EQ(key->usage->last_used_at.load(), t0 + 2000);  // what the console shows
  EXPECT_EQ(this->service_->get(this->alice_, key->key.api_key)->last_used_at, t0 + 2000);

  this->clock_.advance_ms(8000);  // 10 s since the stored one: written, with no new use
  EXPECT_EQ(wait_for(t0 + 2000), t0 + 2000);

  this->clock_.advance_ms(1000);
  log->record(*key, "192.0.2.1", "GET", "/a", 200);
  log->flush();
  EXPECT_EQ(stored(), t0 + 11000);
}

TYPED_TEST(AccessLogTest, AcceptedRequestsUpdateLastUse) {
  auto key = this->new_key(this->alice_);
  const int64_t t0 = this->clock_.now_ms();
  this->log_->record(*key, "192.0.2.1", "GET", "/a", 200);
  EXPECT_EQ(key->usage->last_used_at.load(), t0);
  {
    std::lock_guard lock(key->usage->mu);
    EXPECT_EQ(key->usage->last_used_ip, "192.0.2.1");
  }
  // A refusal is no use.
  this->clock_.advance_ms(2000);
  this->log_->record(*key, "192.0.2.66", "GET", "/a", 401, "signature is not valid");
  EXPECT_EQ(key->usage->last_used_at.load(), t0);
  {
    std::lock_guard lock(key->usage->mu);
    EXPECT_EQ(key->usage->last_used_ip, "192.0.2.1");
  }
  this->clock_.advance_ms(2000);
  this->log_->record(*key, "2001:db8::7", "GET", "/a", 200);
  this->log_->flush();

  auto row = this->stored(key->key.api_key, "last_used_at, last_used_ip");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->int64(0), t0 + 4000);
  EXPECT_EQ(row->text(1), "2001:db8::7");
  auto listed = this->service_->get(this->alice_, key->key.api_key);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->last_used_at, t0 + 4000);
  EXPECT_EQ(listed->last_used_ip, "2001:db8::7");

  // An older use flushed later does not move last use back.
  ManualClock past(t0 - 10'000);
  {
    AccessLog old_log(*this->store_, past);
    KeyEntry copy;
    copy.key = key->key;  // no usage counters
    old_log.record(copy, "192.0.2.99", "GET", "/a", 200);
    old_log.flush();
  }
  row = this->stored(key->key.api_key, "last_used_at, last_used_ip");
  EXPECT_EQ(row->int64(0), t0 + 4000);
  EXPECT_EQ(row->text(1), "2001:db8::7");
}

TYPED_TEST(AccessLogTest, EntriesOfADeletedKeyAreDroppedAtFlush) {
  auto gone = this->new_key(this->alice_);
  auto kept = this->new_key(this->alice_);
  this->log_->record(*gone, "192.0.2.1", "GET", "/a", 200);
  this->log_->record(*gone, "192.0.2.1", "GET", "/a", 401, "key is inactive");
  this->log_->record(*kept, "192.0.2.1", "GET", "/a", 200);
  ASSERT_TRUE(this->service_->remove(this->alice_, gone->key.api_key).ok());
  EXPECT_NO_THROW(this->log_->flush());
  EXPECT_TRUE(this->log_->recent(gone->key.id, 10).empty());
  EXPECT_EQ(this->log_->recent(kept->key.id, 10).size(), 1u);
  auto rows = this->store_->tx([&](store::Db& db) {
    return db.query_one("SELECT COUNT(*) FROM key_access_log WHERE key_id = ?", {gone->key.id})->int64(0);
  });
  EXPECT_EQ(rows, 0);
}

TYPED_TEST(AccessLogTest, DeletingAKeyDeletesItsLog) {
  auto key = this->new_key(this->alice_);
  this->log_->record(*key, "192.0.2.1", "GET", "/a", 401, "no signature");
  this->log_->flush();
  ASSERT_EQ(this->log_->recent(key->key.id, 10).size(), 1u);
  ASSERT_TRUE(this->service_->remove(this->alice_, key->key.api_key).ok());
  EXPECT_TRUE(this->log_->recent(key->key.id, 10).empty());
}

TYPED_TEST(AccessLogTest, DestructorFlushesWhatIsPending) {
  auto key = this->new_key(this->alice_);
  {
    AccessLog log(*this->store_, this->clock_);
    log.record(*key, "192.0.2.1", "GET", "/a", 401, "no signature");
  }
  EXPECT_EQ(this->log_->recent(key->key.id, 10).size(), 1u);
}

}  // namespace
}  // namespace kg::keys
