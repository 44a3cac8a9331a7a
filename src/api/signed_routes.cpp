// Binance endpoints that need an API key: what a key may do, a key revoking itself, the account.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/api.hpp"
#include "api/json_body.hpp"
#include "common/decimal.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;
using keys::Permission;
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

  // GET /api/v3/account: the account as Binance shows it, balances from the ledger (the read
  // goes through the engine, so the handler may block).
  router.add({"GET", "/api/v3/account", Security::kUserData, 20, true,
              [&clock, &wallet = s.wallet](Context& ctx) {
                const keys::ApiKey& k = ctx.key->key;
                const keys::PermissionSet p = k.effective_permissions(clock.now_ms());
                json::array balances;
                for (const auto& b : wallet.balances(k.user_id)) {
                  balances.push_back(json::object{{"asset", b.asset},
                                                  {"free", format_decimal(b.free, kAmountScale)},
                                                  {"locked", format_decimal(b.locked, kAmountScale)}});
                }
                return json_response(json::object{
                    {"makerCommission", 10},
                    {"takerCommission", 10},
                    {"buyerCommission", 0},
                    {"sellerCommission", 0},
                    {"commissionRates",
                     json::object{{"maker", "0.00100000"}, {"taker", "0.00100000"}, {"buyer", "0.00000000"}, {"seller", "0.00000000"}}},
                    {"canTrade", keys::has(p, Permission::kTrade)},
                    {"canWithdraw", keys::has(p, Permission::kWithdraw)},
                    {"canDeposit", keys::has(p, Permission::kDeposit)},
                    {"brokered", false},
                    {"requireSelfTradePrevention", false},
                    {"preventSor", false},
                    {"updateTime", k.created_at},
                    {"accountType", "SPOT"},
                    {"balances", std::move(balances)},
                    {"permissions", json::array{"SPOT"}},
                    {"uid", k.user_id}});
              },
              Permission::kRead});
}

}  // namespace kg::api
