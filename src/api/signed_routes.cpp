// Binance endpoints that need an API key: what a key may do, a key revoking itself, the account.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "api/api.hpp"
#include "api/json_body.hpp"
#include "api/params.hpp"
#include "common/decimal.hpp"
#include "crypto/random.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;
using keys::Permission;

// GET /api/v3/account's answer: the key's view of the account and the user's balances. Written as
// text (the hottest signed read: a boost::json tree of it cost more than the signature check).
Response account_response(const keys::ApiKey& k, keys::PermissionSet p, const std::vector<ledger::UserBalance>& held) {
  auto yes = [](bool b) { return b ? "true" : "false"; };
  Response r;
  std::string& out = r.body;
  out.reserve(600 + 80 * held.size());
  fmt::format_to(std::back_inserter(out),
                 R"({{"makerCommission":10,"takerCommission":10,"buyerCommission":0,"sellerCommission":0,)"
                 R"("commissionRates":{{"maker":"0.00100000","taker":"0.00100000","buyer":"0.00000000","seller":"0.00000000"}},)"
                 R"("canTrade":{},"canWithdraw":{},"canDeposit":{},"brokered":false,"requireSelfTradePrevention":false,)"
                 R"("preventSor":false,"updateTime":{},"accountType":"SPOT","balances":[)",
                 yes(keys::has(p, Permission::kTrade)), yes(keys::has(p, Permission::kWithdraw)),
                 yes(keys::has(p, Permission::kDeposit)), k.created_at);
  for (size_t i = 0; i < held.size(); ++i) {
    out += i == 0 ? R"({"asset":)" : R"(,{"asset":)";
    append_json_string(out, held[i].asset);
    out += R"(,"free":")";
    append_decimal(out, held[i].free, kAmountScale);
    out += R"(","locked":")";
    append_decimal(out, held[i].locked, kAmountScale);
    out += R"("})";
  }
  fmt::format_to(std::back_inserter(out), R"(],"permissions":["SPOT"],"uid":{}}})", k.user_id);
  return r;
}

}  // namespace

void add_signed_routes(Router& router, const Services& s) {
  const Clock& clock = s.clock;

  // GET /sapi/v1/account/apiRestrictions: our permissions in Binance's terms.
  router.add({"GET", "/sapi/v1/account/apiRestrictions", Security::kUserData, 1, false, [&clock](Context& ctx) {
                const keys::ApiKey& k = ctx.key->key;
                const keys::PermissionSet p = k.effective_permissions(clock.now_ms());
                json::object out{{"ipRestrict", !k.allowlist.empty()},
                                 {"createTime", k.created_at},
                                 {"enableReading", keys::has(p, Permission::kRead)},
                                 {"enableSpotAndMarginTrading", keys::has(p, Permission::kTrade)},
                                 {"enableWithdrawals", keys::has(p, Permission::kWithdraw)},
                                 {"enableInternalTransfer", keys::has(p, Permission::kTransfer)},
                                 {"permitsUniversalTransfer", keys::has(p, Permission::kTransfer)},
                                 {"enableMargin", false},
                                 {"enableFutures", false},
                                 {"enableVanillaOptions", false},
                                 {"enablePortfolioMarginTrading", false},
                                 {"enableFixApiTrade", false},
                                 {"enableFixReadOnly", false}};
                if (k.trade_expires_at != 0) out["tradingAuthorityExpirationTime"] = k.trade_expires_at;
                return json_response(out);
              }});

  // POST /sapi/v1/apikey/revoke: a key that knows it leaked turns itself off.
  router.add({"POST", "/sapi/v1/apikey/revoke", Security::kUserData, 1, true, [&ks = s.keys](Context& ctx) {
                if (auto st = ks.revoke(ctx.key->key.api_key); !st) return error_response(st.error());
                return json_response(json::object{});
              }});

  // POST /sapi/v1/transfer/internal: free balance to another user of this exchange, no fee,
  // exactly once per clientTranId. The recipient is looked up on a worker (a store read), then the
  // transfer answers once durable without holding the worker, so concurrent transfers share commits.
  router.add(Route{"POST", "/sapi/v1/transfer/internal", Security::kUserData, 1, true, nullptr, Permission::kTransfer}
                 .answers_later([&wallet = s.wallet, &acc = s.accounts](Context& ctx, Reply reply) {
                   auto refuse = [&reply](Error e) { reply([e = std::move(e)] { return error_response(e); }); };
                   const Params& p = *ctx.params;
                   const auto asset = p.get("asset");
                   if (!asset || asset->empty()) return refuse(make_error(err::kBadParam, "asset"));
                   const auto amount_text = p.get("amount");
                   const auto amount = amount_text ? parse_decimal(*amount_text, kAmountScale) : std::nullopt;
                   if (!amount || *amount <= 0) return refuse(make_error(err::kBadParam, "amount"));
                   const auto to_email = p.get("toEmail");
                   const auto to_uid = p.get("toUid");
                   if (to_email && to_uid) return refuse(make_error(err::kBadParamCombination));
                   if (!to_email && !to_uid) return refuse(make_error(err::kBadParam, "toEmail"));
                   Result<accounts::User> to = make_error(err::kNoRecipient);
                   if (to_email) {
                     to = acc.find_by_email(std::string(*to_email));
                   } else if (auto uid = parse_decimal(*to_uid, 0); uid && *uid > 0) {
                     to = acc.find_by_id(*uid);
                   }
                   // Unknown recipients, by email or uid, get one answer: no probing for accounts.
                   if (!to) return refuse(make_error(err::kNoRecipient));
                   std::string client_tran_id = std::string(p.get("clientTranId").value_or(""));
                   if (client_tran_id.empty()) {
                     client_tran_id = "kg-" + crypto::random_hex(12);
                   } else if (!valid_client_id(client_tran_id)) {
                     return refuse(make_error(err::kIllegalChars, "clientTranId", kClientIdRange));
                   }
                   wallet.transfer_async(
                       {ctx.key->key.user_id, to->id, std::string(*asset), *amount, client_tran_id},
                       [reply](Result<wallet::Transfer>&& t) {
                         reply([t = std::move(t)] {
                           if (!t) return error_response(t.error());
                           return json_response(json::object{{"tranId", t->tran_id},
                                                             {"clientTranId", t->request.client_tran_id}});
                         });
                       });
                 }));

  router.add({"GET", "/sapi/v1/transfer/internal/history", Security::kUserData, 1, true,
              [&wallet = s.wallet](Context& ctx) {
                int64_t limit = 100;
                if (auto l = ctx.params->get("limit")) {
                  auto n = parse_decimal(*l, 0);
                  if (!n || *n < 1 || *n > 500) return error_response(make_error(err::kBadParam, "limit"));
                  limit = *n;
                }
                const int64_t me = ctx.key->key.user_id;
                json::array rows;
                for (const auto& t : wallet.transfers_of(me, static_cast<size_t>(limit))) {
                  rows.push_back(json::object{{"tranId", t.tran_id},
                                              {"clientTranId", t.request.client_tran_id},
                                              {"fromUid", t.request.from_user},
                                              {"toUid", t.request.to_user},
                                              {"asset", t.request.asset},
                                              {"amount", format_decimal(t.request.amount, kAmountScale)},
                                              {"direction", t.request.from_user == me ? "OUT" : "IN"},
                                              {"timestamp", t.at_ms}});
                }
                const auto total = static_cast<int64_t>(rows.size());
                return json_response(json::object{{"total", total}, {"rows", std::move(rows)}});
              },
              Permission::kRead});

  // GET /api/v3/account: the account as Binance shows it, balances as of the last committed batch
  // (read without a trip through the engine, so the network thread answers it at once).
  router.add(Route{"GET", "/api/v3/account", Security::kUserData, 20, false,
                   [&clock, &wallet = s.wallet](Context& ctx) {
                     const keys::PermissionSet p = ctx.key->key.effective_permissions(clock.now_ms());
                     return account_response(ctx.key->key, p, wallet.balances(ctx.key->key.user_id));
                   },
                   Permission::kRead});
}

}  // namespace kg::api
