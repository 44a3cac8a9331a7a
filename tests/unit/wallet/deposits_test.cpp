// Deposits against a real engine and store (SQLite, and PostgreSQL when KEYGATE_TEST_PG_URL is
// set): addresses made once per user and network in the network's style, chain transactions
// recorded once per txid and credited at once or after the network's confirmations (manual
// clock), the history, and all of it across a restart and across store migration 5.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ledger/entries.hpp"
#include "store/migrations.hpp"
#include "store/store.hpp"
#include "support/backends.hpp"
#include "support/wallet_fixture.hpp"
#include "wallet/wallet.hpp"

namespace kg::wallet {
namespace {

using test::Backends;

constexpr int64_t kOne = 100'000'000;  // 1.00000000
constexpr int64_t kBlockMs = 10'000;
constexpr const char* kXrpShared = "rEb8TK3gBgk5auZkwc6sHnwrGVJH8DuaLh";

Network network(const std::string& name, const std::string& style, int min_confirm, bool is_default) {
  Network n;
  n.name = name;
  n.full_name = name + " network";
  n.is_default = is_default;
  n.address_style = style;
  n.min_confirm = min_confirm;
  n.withdraw_max = 1'000'000 * kOne;
  if (style == "evm") n.address_regex = "^(0x)[0-9A-Fa-f]{40}$";
  if (style == "bech32") n.address_regex = "^(bc1|[13])[a-zA-HJ-NP-Z0-9]{25,62}$";
  if (style == "base58") n.address_regex = "^T[1-9A-HJ-NP-Za-km-z]{33}$";
  if (style == "tag") {
    n.address_regex = "^r[1-9A-HJ-NP-Za-km-z]{24,34}$";
    n.memo_regex = "^[0-9A-Za-z\\-_,]{1,120}$";
    n.shared_address = kXrpShared;
  }
  return n;
}

ExchangeSpec suite_exchange() {
  ExchangeSpec ex;
  ex.assets.push_back(Asset{"ETH", "Ethereum", {network("ETH", "evm", 12, true), network("BSC", "evm", 0, false)}});
  ex.assets.push_back(Asset{"BTC", "Bitcoin", {network("BTC", "bech32", 2, true)}});
  // USDT's default is TRX (listed second): the default is the flagged one, not the first.
  ex.assets.push_back(
      Asset{"USDT", "Tether", {network("ETH", "evm", 12, false), network("TRX", "base58", 0, true)}});
  ex.assets.push_back(Asset{"XRP", "Ripple", {network("XRP", "tag", 0, true)}});
  Network closed = network("LTC", "bech32", 0, true);
  closed.deposit_enable = false;
  ex.assets.push_back(Asset{"LTC", "Litecoin", {closed}});
  return ex;
}

// deposits_of's query, one field at a time (designated initializers warn about the rest).
struct Q {
  DepositQuery q;
  Q& asset(std::string v) { q.asset = std::move(v); return *this; }
  Q& status(int v) { q.status = v; return *this; }
  Q& between(int64_t start, int64_t end) { q.start_ms = start; q.end_ms = end; return *this; }
  Q& txid(std::string v) { q.txid = std::move(v); return *this; }
  Q& page(size_t offset, size_t limit) { q.offset = offset; q.limit = limit; return *this; }
  operator DepositQuery() const { return q; }  // NOLINT(google-explicit-constructor)
};

template <typename Backend>
class DepositsTest : public test::WalletFixture<Backend> {
 protected:
  ExchangeSpec exchange_spec() const override { return suite_exchange(); }
  void configure(WalletConfig& c) const override { c.block_ms = kBlockMs; }

  DepositAddress address(int64_t user, const std::string& asset, const std::string& net = "") {
    auto a = wallet_->deposit_address(user, asset, net);
    EXPECT_TRUE(a.ok()) << a.error().msg;
    return a.ok() ? *a : DepositAddress{};
  }
  // A chain transaction of `amount` to the user's address for the asset on the network.
  ChainTx tx_to(int64_t user, const std::string& asset, const std::string& net, int64_t amount,
                const std::string& txid) {
    const DepositAddress a = address(user, asset, net);
    return ChainTx{asset, net, a.address, a.tag, amount, txid};
  }
  ChainDeposit record(const ChainTx& tx) {
    auto d = wallet_->record_deposit(tx);
    EXPECT_TRUE(d.ok()) << d.error().msg;
    return d.ok() ? *d : ChainDeposit{};
  }

  size_t journal_size() { return wallet_->verify().entries; }
  int64_t stored_deposits() {
    return store_->tx([](store::Db& db) { return db.query_one("SELECT COUNT(*) FROM chain_deposits")->int64(0); });
  }
  std::vector<ChainDeposit> history(int64_t user, DepositQuery q = {}) { return wallet_->deposits_of(user, q); }
  std::vector<std::string> txids(const std::vector<ChainDeposit>& ds) {
    std::vector<std::string> out;
    for (const auto& d : ds) out.push_back(d.tx.txid);
    return out;
  }

  using test::WalletFixture<Backend>::wallet_;
  using test::WalletFixture<Backend>::store_;
  using test::WalletFixture<Backend>::engine_;
};

TYPED_TEST_SUITE(DepositsTest, Backends);

// What the engine thread decides is the same whatever the store: these cases run against SQLite
// only, which keeps the executable fast (each PostgreSQL case creates and drops a database). The
// cases above, which depend on what is stored and read back, run against both.
template <typename Backend>
class DepositsSqliteTest : public DepositsTest<Backend> {};
TYPED_TEST_SUITE(DepositsSqliteTest, ::testing::Types<test::SqliteBackend>);

TYPED_TEST(DepositsTest, AnAddressIsMadeOncePerUserAndNetwork) {
  const int64_t a = this->alice_, b = this->bob_;
  const DepositAddress first = this->address(a, "ETH");
  EXPECT_EQ(first.asset, "ETH");
  EXPECT_EQ(first.network, "ETH");  // the default network
  EXPECT_TRUE(first.tag.empty());
  EXPECT_EQ(this->address(a, "ETH").address, first.address);
  EXPECT_EQ(this->address(a, "ETH", "ETH").address, first.address);
  // Another network is another address; another user another one again.
  const DepositAddress bsc = this->address(a, "ETH", "BSC");
  EXPECT_EQ(bsc.network, "BSC");
  EXPECT_NE(bsc.address, first.address);
  const DepositAddress bobs = this->address(b, "ETH");
  EXPECT_NE(bobs.address, first.address);
  EXPECT_NE(bobs.address, bsc.address);
  // The address belongs to the network: USDT on ETH is the same ERC20 address.
  EXPECT_EQ(this->address(a, "USDT", "ETH").address, first.address);
  // Defaults are the flagged network, not the first listed.
  EXPECT_EQ(this->address(a, "USDT").network, "TRX");
  // It survives a restart, and is stored once.
  this->restart();
  EXPECT_EQ(this->address(a, "ETH").address, first.address);
  EXPECT_EQ(this->address(b, "ETH").address, bobs.address);
  const int64_t rows = this->store_->tx([&](store::Db& db) {
    return db.query_one("SELECT COUNT(*) FROM deposit_addresses WHERE user_id = ?", {a})->int64(0);
  });
  EXPECT_EQ(rows, 3);  // ETH, BSC, TRX
}

TYPED_TEST(DepositsSqliteTest, AddressesAreInTheNetworksStyle) {
  const int64_t a = this->alice_, b = this->bob_;
  const std::regex evm("^0x[0-9a-f]{40}$");
  const std::regex bech32("^bc1q[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{38}$");
  const std::regex base58("^T[1-9A-HJ-NP-Za-km-z]{33}$");
  const std::regex tag("^[1-9][0-9]{8}$");

  const DepositAddress eth = this->address(a, "ETH");
  EXPECT_TRUE(std::regex_match(eth.address, evm)) << eth.address;
  const DepositAddress btc = this->address(a, "BTC");
  EXPECT_TRUE(std::regex_match(btc.address, bech32)) << btc.address;
  EXPECT_TRUE(btc.tag.empty());
  const DepositAddress trx = this->address(a, "USDT", "TRX");
  EXPECT_TRUE(std::regex_match(trx.address, base58)) << trx.address;
  const DepositAddress xrp_a = this->address(a, "XRP");
  const DepositAddress xrp_b = this->address(b, "XRP");
  EXPECT_EQ(xrp_a.address, kXrpShared);
  EXPECT_EQ(xrp_b.address, kXrpShared);
  EXPECT_TRUE(std::regex_match(xrp_a.tag, tag)) << xrp_a.tag;
  EXPECT_TRUE(std::regex_match(xrp_b.tag, tag)) << xrp_b.tag;
  EXPECT_NE(xrp_a.tag, xrp_b.tag);
  // Each one is also a valid withdrawal address on its own network.
  for (const auto& d : {eth, btc, trx, xrp_a}) {
    auto s = this->wallet_->check_address(d.asset, d.network, d.address, d.tag);
    EXPECT_TRUE(s.ok()) << d.network << " " << d.address << ": " << s.error().msg;
  }
  // Many users: no two share an address (or, on a tag network, a tag).
  std::set<std::string> seen_evm{eth.address}, seen_tags{xrp_a.tag, xrp_b.tag};
  for (int i = 0; i < 20; ++i) {
    const int64_t u = this->add_user("user" + std::to_string(i) + "@example.com");
    EXPECT_TRUE(seen_evm.insert(this->address(u, "ETH").address).second);
    EXPECT_TRUE(seen_tags.insert(this->address(u, "XRP").tag).second);
  }
}

TYPED_TEST(DepositsSqliteTest, UnknownAssetsAndNetworksAreRefused) {
  const int64_t a = this->alice_;
  Wallet& w = *this->wallet_;
  this->expect_error(w.deposit_address(a, "DOGE", ""), -7410);
  this->expect_error(w.deposit_address(a, "ETH", "TRX"), -7414);
  this->expect_error(w.deposit_address(a, "LTC", ""), -7415);  // deposits suspended
  const DepositAddress eth = this->address(a, "ETH");
  this->expect_error(w.record_deposit({"DOGE", "", eth.address, "", kOne, "tx-doge"}), -7410);
  this->expect_error(w.record_deposit({"ETH", "SOL", eth.address, "", kOne, "tx-sol"}), -7414);
  this->expect_error(w.record_deposit({"ETH", "ETH", eth.address, "", 0, "tx-zero"}), -1102);
  this->expect_error(w.record_deposit({"ETH", "ETH", eth.address, "", -kOne, "tx-neg"}), -1102);
  this->expect_error(w.record_deposit({"ETH", "ETH", eth.address, "", kOne, std::string(129, 'x')}), -1102);
  EXPECT_EQ(this->stored_deposits(), 0);
  EXPECT_EQ(this->journal_size(), 0u);
}

TYPED_TEST(DepositsSqliteTest, WithoutConfirmationsADepositIsCreditedAtOnce) {
  const int64_t a = this->alice_;
  const ChainDeposit d = this->record(this->tx_to(a, "USDT", "TRX", 250 * kOne, "tx-usdt-1"));
  EXPECT_EQ(d.status, DepositStatus::kCredited);
  EXPECT_FALSE(d.already_recorded);
  EXPECT_EQ(d.user_id, a);
  EXPECT_EQ(d.confirmations_needed, 0);
  EXPECT_EQ(d.seen_at, this->clock_.now_ms());
  EXPECT_EQ(d.credited_at, this->clock_.now_ms());
  EXPECT_NE(d.entry_id, 0);
  EXPECT_EQ(this->wallet_->confirmations(d), 0);
  EXPECT_EQ(this->free_of(a, "USDT"), 250 * kOne);
  EXPECT_EQ(this->free_of(this->bob_, "USDT"), 0);
  // The journal has the credit under the deposit's entry id, referencing the txid.
  auto journal = this->engine_->load_journal();
  ASSERT_EQ(journal.size(), 1u);
  EXPECT_EQ(journal[0].id, d.entry_id);
  EXPECT_EQ(journal[0].kind, ledger::kKindDeposit);
  EXPECT_EQ(journal[0].reference, "tx-usdt-1");
  // A tick has nothing left to do.
  EXPECT_EQ(this->wallet_->tick(), 0u);
  EXPECT_EQ(this->free_of(a, "USDT"), 250 * kOne);
  // Without a txid the wallet makes one, a new one each time.
  const ChainDeposit d1 = this->record(this->tx_to(a, "USDT", "TRX", kOne, ""));
  const ChainDeposit d2 = this->record(this->tx_to(a, "USDT", "TRX", kOne, ""));
  EXPECT_FALSE(d1.tx.txid.empty());
  EXPECT_NE(d1.tx.txid, d2.tx.txid);
  EXPECT_FALSE(d2.already_recorded);
  EXPECT_GT(d2.id, d1.id);
  EXPECT_EQ(this->free_of(a, "USDT"), 252 * kOne);
}

TYPED_TEST(DepositsSqliteTest, TheNetworkIsFoundFromTheAddressAndTagsTellUsersApart) {
  const int64_t a = this->alice_, b = this->bob_;
  // No network given: the asset's network that owns the address.
  const DepositAddress bsc = this->address(a, "ETH", "BSC");
  const ChainDeposit d = this->record({"ETH", "", bsc.address, "", 2 * kOne, "tx-bsc"});
  EXPECT_EQ(d.tx.network, "BSC");
  EXPECT_EQ(d.status, DepositStatus::kCredited);  // BSC needs no confirmations
  EXPECT_EQ(this->free_of(a, "ETH"), 2 * kOne);
  // One shared XRP address: the tag decides whose deposit it is.
  const DepositAddress xa = this->address(a, "XRP"), xb = this->address(b, "XRP");
  this->record({"XRP", "", kXrpShared, xb.tag, 30 * kOne, "tx-xrp-b"});
  this->record({"XRP", "XRP", kXrpShared, xa.tag, 10 * kOne, "tx-xrp-a"});
  EXPECT_EQ(this->free_of(a, "XRP"), 10 * kOne);
  EXPECT_EQ(this->free_of(b, "XRP"), 30 * kOne);
}

TYPED_TEST(DepositsSqliteTest, AnAddressNobodyOwnsIsRefused) {
  const int64_t a = this->alice_;
  Wallet& w = *this->wallet_;
  const DepositAddress eth = this->address(a, "ETH");
  const std::string stranger = "0x" + std::string(40, 'a');
  this->expect_error(w.record_deposit({"ETH", "ETH", stranger, "", kOne, "tx-1"}), -7404);
  this->expect_error(w.record_deposit({"ETH", "", stranger, "", kOne, "tx-1"}), -7404);
  // Alice's ETH address is not hers for BTC, nor on BSC.
  this->expect_error(w.record_deposit({"BTC", "", eth.address, "", kOne, "tx-2"}), -7404);
  this->expect_error(w.record_deposit({"ETH", "BSC", eth.address, "", kOne, "tx-3"}), -7404);
  // The shared XRP address needs the right tag.
  const DepositAddress xrp = this->address(a, "XRP");
  this->expect_error(w.record_deposit({"XRP", "", kXrpShared, "", kOne, "tx-4"}), -7404);
  this->expect_error(w.record_deposit({"XRP", "", kXrpShared, xrp.tag + "0", kOne, "tx-5"}), -7404);
  // A tag sent to an address without tags does not match it either.
  this->expect_error(w.record_deposit({"ETH", "ETH", eth.address, "123", kOne, "tx-6"}), -7404);
  EXPECT_EQ(this->stored_deposits(), 0);
  EXPECT_EQ(this->journal_size(), 0u);
  // The txids were not used up: they can still be recorded properly.
  EXPECT_EQ(this->record({"ETH", "BSC", this->address(a, "ETH", "BSC").address, "", kOne, "tx-1"}).status,
            DepositStatus::kCredited);
}

TYPED_TEST(DepositsTest, APendingDepositIsCreditedOnlyOnceItsConfirmationsHavePassed) {
  const int64_t a = this->alice_;
  Wallet& w = *this->wallet_;
  const int64_t t0 = this->clock_.now_ms();
  const ChainDeposit d = this->record(this->tx_to(a, "ETH", "ETH", 3 * kOne, "tx-eth-1"));
  EXPECT_EQ(d.status, DepositStatus::kPending);
  EXPECT_EQ(d.confirmations_needed, 12);
  EXPECT_EQ(d.entry_id, 0);
  EXPECT_EQ(d.credited_at, 0);
  EXPECT_EQ(w.confirmations(d), 0);
  EXPECT_EQ(this->free_of(a, "ETH"), 0);
  EXPECT_EQ(this->journal_size(), 0u);

  // A tick before anything changed does nothing.
  const uint64_t before = this->state_hash();
  EXPECT_EQ(w.tick(), 0u);
  EXPECT_EQ(this->state_hash(), before);
  // Confirmations count up with the blocks.
  this->clock_.advance_ms(kBlockMs - 1);
  EXPECT_EQ(w.confirmations(d), 0);
  this->clock_.advance_ms(1);
  EXPECT_EQ(w.confirmations(d), 1);
  this->clock_.set_ms(t0 + 5 * kBlockMs + 10);
  EXPECT_EQ(w.confirmations(d), 5);
  EXPECT_EQ(w.tick(), 0u);
  // One millisecond before the twelfth block: still pending.
  this->clock_.set_ms(t0 + 12 * kBlockMs - 1);
  EXPECT_EQ(w.confirmations(d), 11);
  EXPECT_EQ(w.tick(), 0u);
  EXPECT_EQ(this->free_of(a, "ETH"), 0);
  EXPECT_EQ(this->state_hash(), before);
  auto listed = this->history(a);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].status, DepositStatus::kPending);

  this->clock_.advance_ms(1);
  EXPECT_EQ(w.tick(), 1u);
  EXPECT_EQ(this->free_of(a, "ETH"), 3 * kOne);
  listed = this->history(a);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].status, DepositStatus::kCredited);
  EXPECT_EQ(listed[0].credited_at, this->clock_.now_ms());
  EXPECT_EQ(listed[0].seen_at, t0);
  EXPECT_NE(listed[0].entry_id, 0);
  EXPECT_EQ(w.confirmations(listed[0]), 12);
  // Counting stops at what was needed; a later tick credits nothing more.
  this->clock_.advance_ms(100 * kBlockMs);
  EXPECT_EQ(w.confirmations(d), 12);
  EXPECT_EQ(w.tick(), 0u);
  EXPECT_EQ(this->free_of(a, "ETH"), 3 * kOne);
  EXPECT_EQ(this->journal_size(), 1u);
}

TYPED_TEST(DepositsSqliteTest, TheConfiguredConfirmationsOverrideTheNetworks) {
  this->config_.confirmations = 0;
  this->restart();
  const int64_t a = this->alice_;
  EXPECT_EQ(this->wallet_->confirmations_needed(*this->exchange_.find_asset("ETH")->find_network("ETH")), 0);
  const ChainDeposit d = this->record(this->tx_to(a, "ETH", "ETH", kOne, "tx-fast"));
  EXPECT_EQ(d.status, DepositStatus::kCredited);
  EXPECT_EQ(this->free_of(a, "ETH"), kOne);

  this->config_.confirmations = 3;
  this->restart();
  const ChainDeposit slow = this->record(this->tx_to(a, "USDT", "TRX", kOne, "tx-slow"));
  EXPECT_EQ(slow.status, DepositStatus::kPending);
  EXPECT_EQ(slow.confirmations_needed, 3);
  this->clock_.advance_ms(3 * kBlockMs);
  EXPECT_EQ(this->wallet_->tick(), 1u);
  EXPECT_EQ(this->free_of(a, "USDT"), kOne);
}

TYPED_TEST(DepositsTest, ATxidIsRecordedOnce) {
  const int64_t a = this->alice_, b = this->bob_;
  Wallet& w = *this->wallet_;
  const ChainTx tx = this->tx_to(a, "USDT", "TRX", 5 * kOne, "tx-once");
  const ChainDeposit first = this->record(tx);
  const uint64_t after_first = this->state_hash();

  const ChainDeposit again = this->record(tx);
  EXPECT_TRUE(again.already_recorded);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.entry_id, first.entry_id);
  EXPECT_EQ(again.status, DepositStatus::kCredited);
  EXPECT_EQ(this->state_hash(), after_first);
  EXPECT_EQ(this->free_of(a, "USDT"), 5 * kOne);
  EXPECT_EQ(this->stored_deposits(), 1);
  // No network given resolves to the same one: the same transaction.
  ChainTx without_network = tx;
  without_network.network = "";
  EXPECT_TRUE(this->record(without_network).already_recorded);

  // The same txid with other details is a conflict, and changes nothing either.
  ChainTx more = tx;
  more.amount = 6 * kOne;
  this->expect_error(w.record_deposit(more), -7405);
  this->expect_error(w.record_deposit(this->tx_to(b, "USDT", "TRX", 5 * kOne, "tx-once")), -7405);
  this->expect_error(w.record_deposit(this->tx_to(a, "USDT", "ETH", 5 * kOne, "tx-once")), -7405);
  EXPECT_EQ(this->state_hash(), after_first);
  EXPECT_EQ(this->free_of(b, "USDT"), 0);
  EXPECT_EQ(this->stored_deposits(), 1);
}

TYPED_TEST(DepositsSqliteTest, APendingTxidRecordedAgainIsCreditedOnce) {
  const int64_t a = this->alice_;
  const ChainTx tx = this->tx_to(a, "BTC", "BTC", kOne, "tx-btc");
  const ChainDeposit first = this->record(tx);
  ASSERT_EQ(first.status, DepositStatus::kPending);
  this->clock_.advance_ms(kBlockMs);
  const ChainDeposit again = this->record(tx);
  EXPECT_TRUE(again.already_recorded);
  EXPECT_EQ(again.status, DepositStatus::kPending);
  EXPECT_EQ(again.seen_at, first.seen_at);  // the first sighting counts
  this->clock_.advance_ms(kBlockMs);
  EXPECT_EQ(this->wallet_->tick(), 1u);
  EXPECT_EQ(this->free_of(a, "BTC"), kOne);
  const ChainDeposit after = this->record(tx);
  EXPECT_TRUE(after.already_recorded);
  EXPECT_EQ(after.status, DepositStatus::kCredited);
  EXPECT_EQ(this->wallet_->tick(), 0u);
  EXPECT_EQ(this->free_of(a, "BTC"), kOne);
  EXPECT_EQ(this->journal_size(), 1u);
}

TYPED_TEST(DepositsSqliteTest, ConcurrentRecordsOfOneTxidCreditItOnce) {
  const int64_t a = this->alice_;
  const ChainTx tx = this->tx_to(a, "USDT", "TRX", 7 * kOne, "tx-race");
  std::atomic<int> fresh{0}, replays{0}, errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      auto d = this->wallet_->record_deposit(tx);
      if (!d.ok()) ++errors;
      else if (d->already_recorded) ++replays;
      else ++fresh;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fresh.load(), 1);
  EXPECT_EQ(replays.load(), 15);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(this->free_of(a, "USDT"), 7 * kOne);
  EXPECT_EQ(this->stored_deposits(), 1);
}

TYPED_TEST(DepositsSqliteTest, ACreditThatWouldOverflowRecordsNothing) {
  const int64_t a = this->alice_;
  Wallet& w = *this->wallet_;
  this->record(this->tx_to(a, "USDT", "TRX", INT64_MAX - 10, "tx-max"));
  this->expect_error(w.record_deposit(this->tx_to(a, "USDT", "TRX", 11, "tx-over")), -7402);
  EXPECT_EQ(this->stored_deposits(), 1);
  EXPECT_EQ(this->free_of(a, "USDT"), INT64_MAX - 10);
  // Nothing was recorded under that txid: it is free for another user.
  EXPECT_FALSE(this->record(this->tx_to(this->bob_, "USDT", "TRX", 1, "tx-over")).already_recorded);
}

TYPED_TEST(DepositsTest, PendingAndCreditedDepositsSurviveARestart) {
  const int64_t a = this->alice_;
  const int64_t t0 = this->clock_.now_ms();
  const ChainDeposit pending = this->record(this->tx_to(a, "ETH", "ETH", 4 * kOne, "tx-pending"));
  const ChainDeposit credited = this->record(this->tx_to(a, "USDT", "TRX", 9 * kOne, "tx-credited"));
  ASSERT_EQ(pending.status, DepositStatus::kPending);
  ASSERT_EQ(credited.status, DepositStatus::kCredited);

  this->clock_.advance_ms(6 * kBlockMs);
  this->restart();
  EXPECT_EQ(this->free_of(a, "ETH"), 0);
  EXPECT_EQ(this->free_of(a, "USDT"), 9 * kOne);
  EXPECT_EQ(this->wallet_->tick(), 0u);  // 6 of 12 blocks
  auto listed = this->history(a, Q().txid("tx-pending"));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].status, DepositStatus::kPending);
  EXPECT_EQ(this->wallet_->confirmations(listed[0]), 6);
  // The txids are still known: recorded again, nothing happens.
  EXPECT_TRUE(this->record(this->tx_to(a, "ETH", "ETH", 4 * kOne, "tx-pending")).already_recorded);
  EXPECT_TRUE(this->record(this->tx_to(a, "USDT", "TRX", 9 * kOne, "tx-credited")).already_recorded);
  this->expect_error(this->wallet_->record_deposit(this->tx_to(a, "USDT", "TRX", kOne, "tx-credited")), -7405);

  this->clock_.set_ms(t0 + 12 * kBlockMs);
  EXPECT_EQ(this->wallet_->tick(), 1u);
  EXPECT_EQ(this->free_of(a, "ETH"), 4 * kOne);
  // Once more: the credited deposits are not credited again.
  this->restart();
  EXPECT_EQ(this->wallet_->tick(), 0u);
  EXPECT_EQ(this->free_of(a, "ETH"), 4 * kOne);
  EXPECT_EQ(this->free_of(a, "USDT"), 9 * kOne);
  EXPECT_EQ(this->journal_size(), 2u);
  // New deposits continue the ids.
  const ChainDeposit next = this->record(this->tx_to(a, "USDT", "TRX", kOne, "tx-next"));
  EXPECT_GT(next.id, std::max(pending.id, credited.id));
  EXPECT_EQ(this->stored_deposits(), 3);
}

TYPED_TEST(DepositsTest, TheHistoryFiltersAndPagesNewestFirst) {
  const int64_t a = this->alice_, b = this->bob_;
  const int64_t t0 = this->clock_.now_ms();
  // alice: usdt-1 (t0), eth-1 (t0+1s, pending), usdt-2 (t0+2s), eth-2 (t0+3s, pending); bob: usdt-b.
  this->record(this->tx_to(a, "USDT", "TRX", 1 * kOne, "usdt-1"));
  this->clock_.advance_ms(1000);
  this->record(this->tx_to(a, "ETH", "ETH", 2 * kOne, "eth-1"));
  this->clock_.advance_ms(1000);
  this->record(this->tx_to(a, "USDT", "TRX", 3 * kOne, "usdt-2"));
  this->record(this->tx_to(b, "USDT", "TRX", 8 * kOne, "usdt-b"));
  this->clock_.advance_ms(1000);
  this->record(this->tx_to(a, "ETH", "ETH", 4 * kOne, "eth-2"));

  using V = std::vector<std::string>;
  EXPECT_EQ(this->txids(this->history(a)), (V{"eth-2", "usdt-2", "eth-1", "usdt-1"}));
  EXPECT_EQ(this->txids(this->history(b)), (V{"usdt-b"}));
  EXPECT_EQ(this->txids(this->history(a, Q().asset("USDT"))), (V{"usdt-2", "usdt-1"}));
  EXPECT_EQ(this->txids(this->history(a, Q().status(0))), (V{"eth-2", "eth-1"}));
  EXPECT_EQ(this->txids(this->history(a, Q().status(1))), (V{"usdt-2", "usdt-1"}));
  EXPECT_EQ(this->txids(this->history(a, Q().asset("ETH").status(1))), V{});
  EXPECT_EQ(this->txids(this->history(a, Q().txid("eth-1"))), (V{"eth-1"}));
  // Another user's txid is not in alice's history.
  EXPECT_EQ(this->txids(this->history(a, Q().txid("usdt-b"))), V{});
  EXPECT_EQ(this->txids(this->history(a, Q().between(t0 + 1000, t0 + 2000))), (V{"usdt-2", "eth-1"}));
  EXPECT_EQ(this->txids(this->history(a, Q().page(0, 2))), (V{"eth-2", "usdt-2"}));
  EXPECT_EQ(this->txids(this->history(a, Q().page(2, 2))), (V{"eth-1", "usdt-1"}));
  EXPECT_EQ(this->txids(this->history(a, Q().page(3, 2))), (V{"usdt-1"}));
  EXPECT_EQ(this->txids(this->history(a, Q().page(4, 1000))), V{});
  // Once credited, the status filter follows.
  this->clock_.advance_ms(12 * kBlockMs);
  EXPECT_EQ(this->wallet_->tick(), 2u);
  EXPECT_EQ(this->txids(this->history(a, Q().status(0))), V{});
  EXPECT_EQ(this->history(a, Q().status(1)).size(), 4u);
  const auto eth1 = this->history(a, Q().txid("eth-1"));
  ASSERT_EQ(eth1.size(), 1u);
  EXPECT_EQ(eth1[0].tx.amount, 2 * kOne);
  EXPECT_EQ(eth1[0].tx.asset, "ETH");
  EXPECT_EQ(eth1[0].tx.network, "ETH");
  EXPECT_EQ(eth1[0].tx.address, this->address(a, "ETH").address);
  EXPECT_EQ(eth1[0].user_id, a);
  EXPECT_EQ(eth1[0].seen_at, t0 + 1000);
}

// Migration 5 carries the deposits credited before it into chain_deposits: same balance, same
// journal, the txid still known, and new deposits numbered after them.
TYPED_TEST(DepositsTest, Migration5KeepsTheDepositsCreditedBefore) {
  TypeParam backend;
  store::Store st(backend.open());
  st.schema_version();
  st.tx([](store::Db& db) {
    for (const auto& m : store::migrations()) {
      if (m.version > 4) continue;
      db.exec_script(store::render_migration(m, db.dialect()));
      db.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)",
              {int64_t{m.version}, std::string(m.name)});
    }
  });
  ASSERT_EQ(st.schema_version(), 4);
  const int64_t user = st.tx([](store::Db& db) {
    return db
        .query_one("INSERT INTO users (email, password_hash, created_at, updated_at) VALUES ('old@example.com', 'x', 0, "
                   "0) RETURNING id")
        ->int64(0);
  });
  const int64_t at = this->clock_.now_ms() - 1000;
  {
    // As the version-4 wallet credited a deposit: the journal entry and its deposits row.
    engine::Engine old(st, this->clock_);
    old.recover();
    old.start();
    auto s = old.submit<Status>([&](engine::Batch& b) {
                  const int64_t entry_id = b.next_entry_id();
                  auto posted = b.post(ledger::deposit(0, 0, user, "ETH", 5 * kOne, "old-tx"));
                  b.also([=](store::Db& db) {
                    db.exec("INSERT INTO deposits (txid, user_id, asset, network, address, amount, entry_id, "
                            "created_at) VALUES ('old-tx', ?, 'ETH', 'ETH', '0xold', ?, ?, ?)",
                            {user, 5 * kOne, entry_id, at});
                  });
                  return posted;
                })
                 .get();
    ASSERT_TRUE(s.ok()) << s.error().msg;
  }
  EXPECT_EQ(st.migrate(), store::migrations().back().version);

  engine::Engine engine(st, this->clock_);
  engine.recover();
  Wallet wallet(engine, st, this->exchange_, this->config_, this->clock_);
  wallet.load();
  engine.start();
  const auto history = wallet.deposits_of(user, {});
  ASSERT_EQ(history.size(), 1u);
  const ChainDeposit& d = history[0];
  EXPECT_EQ(d.tx.txid, "old-tx");
  EXPECT_EQ(d.tx.asset, "ETH");
  EXPECT_EQ(d.tx.network, "ETH");
  EXPECT_EQ(d.tx.address, "0xold");
  EXPECT_EQ(d.tx.amount, 5 * kOne);
  EXPECT_EQ(d.status, DepositStatus::kCredited);
  EXPECT_EQ(d.confirmations_needed, 0);
  EXPECT_EQ(d.seen_at, at);
  EXPECT_EQ(d.credited_at, at);
  EXPECT_EQ(d.entry_id, 1);
  const auto balances = wallet.balances(user);
  const auto eth = std::find_if(balances.begin(), balances.end(), [](const auto& b) { return b.asset == "ETH"; });
  ASSERT_NE(eth, balances.end());
  EXPECT_EQ(eth->free, 5 * kOne);
  // The txid is still taken, and new deposits are numbered after the old ones.
  auto addr = wallet.deposit_address(user, "USDT", "TRX");
  ASSERT_TRUE(addr.ok());
  this->expect_error(wallet.record_deposit({"USDT", "TRX", addr->address, "", kOne, "old-tx"}), -7405);
  auto fresh = wallet.record_deposit({"USDT", "TRX", addr->address, "", kOne, "new-tx"});
  ASSERT_TRUE(fresh.ok()) << fresh.error().msg;
  EXPECT_GT(fresh->id, d.id);
  const Verification v = wallet.verify();
  EXPECT_EQ(v.mismatch, std::nullopt);
  EXPECT_EQ(v.entries, 2u);
  engine.stop();
}

}  // namespace
}  // namespace kg::wallet
