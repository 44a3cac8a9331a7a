#pragma once
// Convert (Binance's /sapi/v1/convert): a user asks for a quote to swap one asset for another, and
// accepts it before it expires; the swap is one journal entry against the convert desk, the
// exchange's own inventory. Quotes are priced from a configured reference price per market with a
// spread against the user, in integer arithmetic; the amount the user receives is rounded down and
// the amount the user pays is rounded up.
//
// Open quotes live in memory on the engine thread only: they are not durable, so a quote that was
// not accepted may vanish on a restart (its owner asks for a new one). Accepted quotes are rows of
// `converts`, written in the same transaction as their journal entry.

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "common/market.hpp"
#include "common/result.hpp"
#include "engine/engine.hpp"
#include "store/store.hpp"
#include "wallet/convert_config.hpp"

namespace kg::wallet {

// Binance's validTime values.
inline constexpr int64_t kDefaultQuoteValidMs = 10'000;

struct QuoteRequest {
  int64_t user_id = 0;
  std::string from_asset;
  std::string to_asset;
  // Exactly one of the two is > 0: what the user pays, or what the user receives.
  int64_t from_amount = 0;
  int64_t to_amount = 0;
  int64_t valid_ms = kDefaultQuoteValidMs;  // capped at ConvertConfig::max_quote_valid_ms
};

// A priced swap, amounts and ratios at kAmountScale decimals.
struct Pricing {
  int64_t from_amount = 0;
  int64_t to_amount = 0;
  int64_t ratio = 0;          // to_asset per one from_asset
  int64_t inverse_ratio = 0;  // from_asset per one to_asset
};

struct Quote {
  std::string quote_id;
  int64_t user_id = 0;
  std::string from_asset;
  std::string to_asset;
  Pricing pricing;
  int64_t created_ms = 0;
  int64_t valid_until_ms = 0;  // accepted only strictly before this
};

// An accepted quote: a settled convert. Binance's statuses; keygate settles at once.
struct ConvertOrder {
  int64_t order_id = 0;  // the journal entry id
  std::string quote_id;
  int64_t user_id = 0;
  std::string from_asset;
  std::string to_asset;
  Pricing pricing;
  int64_t created_ms = 0;
  const char* status = "SUCCESS";
};

struct DeskFunding {
  int64_t entry_id = 0;
  std::string asset;
  int64_t amount = 0;
  std::string reference;
  bool replayed = false;  // this reference was funded before: nothing changed now
};

struct ConvertPage {
  std::vector<ConvertOrder> orders;  // newest first
  bool more = false;                 // more orders in the range than the limit
};

// One price level of a market's order book, best first: what the book offers convert.
struct BookLevel {
  int64_t price = 0;     // quote per base, 10^-8 units
  int64_t quantity = 0;  // base
};
// The book's asks (asks = true) or bids of a symbol, best first; empty when there is no book.
// Called off the engine thread (it may submit a read to the engine).
using BookSource = std::function<std::vector<BookLevel>(const std::string& symbol, bool asks)>;

class Convert {
 public:
  Convert(engine::Engine& engine, store::Store& store, const ExchangeSpec& exchange,
          const ConvertConfig& config, const Clock& clock);

  // Loads the accepted quote ids and the desk fundings. Call before the engine starts.
  void load();
  // Where the book's prices come from (the trading engine). Without one, or when the book is not
  // deep enough for the amount, quotes use the configured reference price.
  void set_book_source(BookSource source) { book_ = std::move(source); }

  // Prices a swap without any state: -7410 unknown asset, -7422 no market or no price for the
  // pair, -7424 a result that rounds to zero or exceeds a limit. Public for tests.
  Result<Pricing> price(const std::string& from_asset, const std::string& to_asset,
                        int64_t from_amount, int64_t to_amount) const;

  // A quote for the user, if the desk could pay it now (-7423) and the user has fewer than
  // max_open_quotes open (-7425).
  Result<Quote> get_quote(QuoteRequest request);
  // Settles the user's quote: -7420 for an unknown or expired quote and for another user's
  // (one answer, so quote ids cannot be probed), -7421 already accepted, -2010 the user cannot
  // pay (the quote stays open), -7423 the desk cannot pay.
  Result<ConvertOrder> accept_quote(int64_t user_id, const std::string& quote_id);

  // The operator puts `amount` of `asset` on the desk, once per reference (empty: a new one).
  Result<DeskFunding> fund_desk(const std::string& asset, int64_t amount, std::string reference);
  // What the desk holds of every configured asset.
  std::vector<std::pair<std::string, int64_t>> desk_balances();

  // The user's converts created in [start_ms, end_ms], newest first, at most `limit`.
  ConvertPage trade_flow(int64_t user_id, int64_t start_ms, int64_t end_ms, size_t limit);
  // One of the user's converts (another user's is "not found", -7426).
  Result<ConvertOrder> order_status(int64_t user_id, int64_t order_id);
  Result<ConvertOrder> order_by_quote(int64_t user_id, const std::string& quote_id);

  // Open quotes held in memory (for tests and metrics).
  size_t open_quotes();

 private:
  // Engine thread only, below.
  void forget(const std::string& quote_id);
  void sweep_user(int64_t user_id, int64_t now_ms);
  void sweep_all(int64_t now_ms);

  engine::Engine& engine_;
  store::Store& store_;
  const ExchangeSpec& exchange_;
  ConvertConfig config_;
  const Clock& clock_;

  // Engine-thread state: open quotes by id, each user's open quote ids, accepted quote id ->
  // its owner, desk funding reference -> the funding.
  std::unordered_map<std::string, Quote> quotes_;
  std::unordered_map<int64_t, std::vector<std::string>> quotes_of_;
  std::unordered_map<std::string, int64_t> accepted_;
  std::unordered_map<std::string, DeskFunding> fundings_;
  size_t quotes_since_sweep_ = 0;
  BookSource book_;
};

}  // namespace kg::wallet
