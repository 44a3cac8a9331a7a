#include "ledger/entries.hpp"

#include <fmt/format.h>

#include <utility>

#include "ledger/fatal.hpp"

namespace kg::ledger {

namespace {

void require_positive(const char* kind, const char* what, int64_t value) {
  if (value <= 0) fatal(fmt::format("{}: {} must be > 0, got {}", kind, what, value));
}

void require_fee(const char* kind, int64_t fee) {
  if (fee < 0) fatal(fmt::format("{}: fee must be >= 0, got {}", kind, fee));
}

// A move of `amount` of `asset` from one account to another: one debit, one credit.
Entry move(int64_t id, int64_t at_ms, const char* kind, std::string ref, AccountRef from,
           AccountRef to, const std::string& asset, int64_t amount) {
  require_positive(kind, "amount", amount);
  Entry e{id, at_ms, kind, std::move(ref), {}};
  e.postings.push_back({from, asset, -amount});
  e.postings.push_back({to, asset, amount});
  return e;
}

}  // namespace

Entry deposit(int64_t id, int64_t at_ms, int64_t user, std::string asset, int64_t amount,
              std::string txid) {
  return move(id, at_ms, kKindDeposit, std::move(txid), AccountRef::external(),
              AccountRef::user_free(user), asset, amount);
}

Entry hold(int64_t id, int64_t at_ms, int64_t user, std::string asset, int64_t amount,
           std::string ref) {
  return move(id, at_ms, kKindHold, std::move(ref), AccountRef::user_free(user),
              AccountRef::user_locked(user), asset, amount);
}

Entry release(int64_t id, int64_t at_ms, int64_t user, std::string asset, int64_t amount,
              std::string ref) {
  return move(id, at_ms, kKindRelease, std::move(ref), AccountRef::user_locked(user),
              AccountRef::user_free(user), asset, amount);
}

Entry transfer(int64_t id, int64_t at_ms, int64_t from_user, int64_t to_user, std::string asset,
               int64_t amount, std::string ref) {
  return move(id, at_ms, kKindTransfer, std::move(ref), AccountRef::user_free(from_user),
              AccountRef::user_free(to_user), asset, amount);
}

// The fee is its own pair of postings rather than folded into amount + fee, so the journal shows
// it and no addition can overflow here (apply() nets and checks them).
Entry withdraw_request(int64_t id, int64_t at_ms, int64_t user, std::string asset, int64_t amount,
                       int64_t fee, std::string ref) {
  require_fee(kKindWithdrawRequest, fee);
  Entry e = move(id, at_ms, kKindWithdrawRequest, std::move(ref), AccountRef::user_free(user),
                 AccountRef::pending_withdrawal(), asset, amount);
  if (fee > 0) {  // a zero posting would be refused
    e.postings.push_back({AccountRef::user_free(user), asset, -fee});
    e.postings.push_back({AccountRef::fees(), asset, fee});
  }
  return e;
}

Entry withdraw_complete(int64_t id, int64_t at_ms, std::string asset, int64_t amount,
                        std::string ref) {
  return move(id, at_ms, kKindWithdrawComplete, std::move(ref), AccountRef::pending_withdrawal(),
              AccountRef::external(), asset, amount);
}

Entry withdraw_return(int64_t id, int64_t at_ms, int64_t user, std::string asset, int64_t amount,
                      int64_t fee, std::string ref) {
  require_fee(kKindWithdrawReturn, fee);
  Entry e = move(id, at_ms, kKindWithdrawReturn, std::move(ref), AccountRef::pending_withdrawal(),
                 AccountRef::user_free(user), asset, amount);
  if (fee > 0) {
    e.postings.push_back({AccountRef::fees(), asset, -fee});
    e.postings.push_back({AccountRef::user_free(user), asset, fee});
  }
  return e;
}

Entry desk_fund(int64_t id, int64_t at_ms, std::string asset, int64_t amount, std::string ref) {
  return move(id, at_ms, kKindDeskFund, std::move(ref), AccountRef::external(),
              AccountRef::convert_desk(), asset, amount);
}

Entry convert(int64_t id, int64_t at_ms, int64_t user, std::string from_asset, int64_t from_amount,
              std::string to_asset, int64_t to_amount, std::string ref) {
  // Same asset on both sides would net to a no-op that still looks like a trade in the journal.
  if (from_asset == to_asset) fatal(fmt::format("{}: both sides are {}", kKindConvert, from_asset));
  require_positive(kKindConvert, "to_amount", to_amount);
  Entry e = move(id, at_ms, kKindConvert, std::move(ref), AccountRef::user_free(user),
                 AccountRef::convert_desk(), from_asset, from_amount);
  e.postings.push_back({AccountRef::convert_desk(), to_asset, -to_amount});
  e.postings.push_back({AccountRef::user_free(user), to_asset, to_amount});
  return e;
}

Entry trade(int64_t id, int64_t at_ms, int64_t buyer, int64_t seller, std::string base_asset,
            int64_t base_amount, int64_t buyer_fee, std::string quote_asset, int64_t quote_amount,
            int64_t seller_fee, std::string ref) {
  if (base_asset == quote_asset) fatal(fmt::format("{}: both sides are {}", kKindTrade, base_asset));
  require_positive(kKindTrade, "base_amount", base_amount);
  if (quote_amount < 0) fatal(fmt::format("{}: quote_amount must be >= 0, got {}", kKindTrade, quote_amount));
  require_fee(kKindTrade, buyer_fee);
  require_fee(kKindTrade, seller_fee);
  if (buyer_fee > base_amount || seller_fee > quote_amount) {
    fatal(fmt::format("{}: a fee is larger than what it is taken from", kKindTrade));
  }
  Entry e{id, at_ms, kKindTrade, std::move(ref), {}};
  auto add = [&e](AccountRef account, const std::string& asset, int64_t amount) {
    if (amount != 0) e.postings.push_back({account, asset, amount});
  };
  add(AccountRef::user_locked(seller), base_asset, -base_amount);
  add(AccountRef::user_free(buyer), base_asset, base_amount - buyer_fee);
  add(AccountRef::fees(), base_asset, buyer_fee);
  add(AccountRef::user_locked(buyer), quote_asset, -quote_amount);
  add(AccountRef::user_free(seller), quote_asset, quote_amount - seller_fee);
  add(AccountRef::fees(), quote_asset, seller_fee);
  return e;
}

}  // namespace kg::ledger
