#pragma once
// Builders for the entries the wallet needs. Each is pure: it returns an Entry and changes
// nothing; Ledger::apply decides whether it can be applied. Every amount is > 0 and every fee
// >= 0; a wallet that passes anything else has a bug (a negative transfer would move money the
// wrong way), so that stops the process instead of reaching the journal.

#include <cstdint>
#include <string>

#include "ledger/entry.hpp"

namespace kg::ledger {

// Entry::kind values, as they appear in the journal.
inline constexpr const char* kKindDeposit = "deposit";
inline constexpr const char* kKindHold = "hold";
inline constexpr const char* kKindRelease = "release";
inline constexpr const char* kKindTransfer = "transfer";
inline constexpr const char* kKindWithdrawRequest = "withdraw_request";
inline constexpr const char* kKindWithdrawComplete = "withdraw_complete";
inline constexpr const char* kKindWithdrawReturn = "withdraw_return";
inline constexpr const char* kKindDeskFund = "desk_fund";
inline constexpr const char* kKindConvert = "convert";
inline constexpr const char* kKindTrade = "trade";

// external -> user free.
Entry deposit(int64_t id, int64_t at_ms, int64_t user, std::string asset, int64_t amount,
              std::string txid);
// user free -> user locked (an open order, a pending convert).
Entry hold(int64_t id, int64_t at_ms, int64_t user, std::string asset, int64_t amount,
           std::string ref);
// user locked -> user free.
Entry release(int64_t id, int64_t at_ms, int64_t user, std::string asset, int64_t amount,
              std::string ref);
// from_user free -> to_user free.
Entry transfer(int64_t id, int64_t at_ms, int64_t from_user, int64_t to_user, std::string asset,
               int64_t amount, std::string ref);
// user free -(amount + fee); pending withdrawal +amount; fees +fee. The fee is taken at once, as
// Binance does, and comes back with withdraw_return if the withdrawal is rejected or fails.
Entry withdraw_request(int64_t id, int64_t at_ms, int64_t user, std::string asset, int64_t amount,
                       int64_t fee, std::string ref);
// pending withdrawal -> external: the coins left.
Entry withdraw_complete(int64_t id, int64_t at_ms, std::string asset, int64_t amount,
                        std::string ref);
// pending withdrawal -amount, fees -fee; user free +(amount + fee): the exact reverse of
// withdraw_request.
Entry withdraw_return(int64_t id, int64_t at_ms, int64_t user, std::string asset, int64_t amount,
                      int64_t fee, std::string ref);
// external -> convert desk: the exchange puts its own inventory on the desk.
Entry desk_fund(int64_t id, int64_t at_ms, std::string asset, int64_t amount, std::string ref);
// A convert against the desk: user free -from_amount, desk +from_amount of from_asset; desk
// -to_amount, user free +to_amount of to_asset. Refused whole (-2010) when either the user or the
// desk cannot cover its side. The assets must differ.
Entry convert(int64_t id, int64_t at_ms, int64_t user, std::string from_asset, int64_t from_amount,
              std::string to_asset, int64_t to_amount, std::string ref);

// A spot trade settled from the two orders' holds: the seller's locked base goes to the buyer's
// free balance and the buyer's locked quote to the seller's free balance, each side less its fee
// (taken from what it receives), which goes to the fee account. base_amount > 0; quote_amount >= 0
// (a fill's quote rounds down and may be 0); 0 <= buyer_fee <= base_amount and
// 0 <= seller_fee <= quote_amount. Postings of 0 are left out. Buyer and seller may be the same user.
Entry trade(int64_t id, int64_t at_ms, int64_t buyer, int64_t seller, std::string base_asset,
            int64_t base_amount, int64_t buyer_fee, std::string quote_asset, int64_t quote_amount,
            int64_t seller_fee, std::string ref);

}  // namespace kg::ledger
