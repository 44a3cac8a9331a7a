// Binance's wallet endpoints (SAPI "capital"): coins and networks, deposit addresses and history,
// withdrawals and their history. Withdrawal controls are checked here in a fixed order, each
// refusal with its own code and a line in the log; the wallet then decides balance, the key's
// daily cap and idempotency atomically on the engine thread.

#include <fmt/chrono.h>
#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/api.hpp"
#include "api/json_body.hpp"
#include "api/params.hpp"
#include "common/decimal.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;
using keys::Permission;

std::string utc_text(int64_t ms) {
  return fmt::format("{:%Y-%m-%d %H:%M:%S}", fmt::gmtime(static_cast<std::time_t>(ms / 1000)));
}

json::object network_json(const Asset& a, const Network& n, int confirmations) {
  return json::object{{"network", n.name},
                      {"coin", a.name},
                      {"name", n.full_name},
                      {"isDefault", n.is_default},
                      {"depositEnable", n.deposit_enable},
                      {"withdrawEnable", n.withdraw_enable},
                      {"withdrawFee", amount_text(n.withdraw_fee)},
                      {"withdrawMin", amount_text(n.withdraw_min)},
                      {"withdrawMax", amount_text(n.withdraw_max)},
                      {"withdrawIntegerMultiple", amount_text(n.withdraw_multiple)},
                      {"depositDust", amount_text(1)},
                      {"minConfirm", confirmations},
                      {"unLockConfirm", std::max(n.unlock_confirm, confirmations)},
                      {"addressRegex", n.address_regex},
                      {"memoRegex", n.memo_regex},
                      {"sameAddress", n.address_style == "tag"},
                      {"specialTips", n.address_style == "tag" ? "Both a tag (memo) and an address are required." : ""},
                      {"busy", false}};
}

json::object deposit_json(const wallet::Wallet& w, const wallet::ChainDeposit& d) {
  return json::object{{"id", std::to_string(d.id)},
                      {"amount", amount_text(d.tx.amount)},
                      {"coin", d.tx.asset},
                      {"network", d.tx.network},
                      {"status", static_cast<int>(d.status)},
                      {"address", d.tx.address},
                      {"addressTag", d.tx.tag},
                      {"txId", d.tx.txid},
                      {"insertTime", d.seen_at},
                      {"completeTime", d.credited_at},
                      {"transferType", 0},
                      {"confirmTimes", fmt::format("{}/{}", w.confirmations(d), d.confirmations_needed)},
                      {"unlockConfirm", d.confirmations_needed},
                      {"walletType", 0}};
}

json::object withdrawal_json(const wallet::Withdrawal& w) {
  json::object o{{"id", std::to_string(w.id)},
                 {"amount", amount_text(w.request.amount)},
                 {"transactionFee", amount_text(w.fee)},
                 {"coin", w.request.asset},
                 {"status", static_cast<int>(w.status)},
                 {"address", w.request.address},
                 {"txId", w.txid},
                 {"applyTime", utc_text(w.applied_at)},
                 {"network", w.request.network},
                 {"transferType", 0},
                 {"info", w.info},
                 {"confirmNo", w.status == wallet::WithdrawStatus::kCompleted ? 1 : 0},
                 {"walletType", 0},
                 {"txKey", ""}};
  if (!w.request.tag.empty()) o["addressTag"] = w.request.tag;
  if (!w.request.withdraw_order_id.empty()) o["withdrawOrderId"] = w.request.withdraw_order_id;
  if (w.status == wallet::WithdrawStatus::kCompleted) o["completeTime"] = utc_text(w.updated_at);
  return o;
}

// Where may this key send this withdrawal? Address management, the book's cooling-off and the
// key's own address list, in that order.
Status check_destination(const Services& s, const keys::ApiKey& key, const std::string& asset,
                         const std::string& network, const std::string& address, const std::string& tag) {
  const bool whitelist_only = s.address_book.whitelist_only(key.user_id);
  const bool key_has_list = !key.withdraw.address_ids.empty();
  if (!whitelist_only && !key_has_list) return ok_status();
  auto entry = s.address_book.find(key.user_id, asset, network, address, tag);
  if (!entry) return make_error(whitelist_only ? err::kNotWhitelisted : err::kKeyAddressDenied);
  const int64_t now = s.clock.now_ms();
  if (now < entry->usable_at) {
    return make_error(err::kAddressCoolingOff, s.address_book.cooloff_s() / 3600.0, entry->usable_at);
  }
  if (!key.withdraw.allows_address(entry->id)) return make_error(err::kKeyAddressDenied);
  return ok_status();
}

// The history filters both Binance histories share: status, time window, offset and limit.
template <typename Query>
Status read_window(const Context& ctx, int64_t max_status, Query& q) {
  auto status = int_param(ctx, "status", -1, 0, max_status);
  auto start = int_param(ctx, "startTime", 0, 0, INT64_MAX);
  auto end = int_param(ctx, "endTime", INT64_MAX, 0, INT64_MAX);
  auto offset = int_param(ctx, "offset", 0, 0, 1'000'000);
  auto limit = int_param(ctx, "limit", 1000, 1, 1000);
  for (const auto* r : {&status, &start, &end, &offset, &limit}) {
    if (!*r) return r->error();
  }
  if (*status >= 0) q.status = static_cast<int>(*status);
  q.start_ms = *start;
  q.end_ms = *end;
  q.offset = static_cast<size_t>(*offset);
  q.limit = static_cast<size_t>(*limit);
  return ok_status();
}

Response refuse(const Context& ctx, const Error& e) {
  spdlog::warn("event=withdraw_refused uid={} key_id={} code={} reason=\"{}\"", ctx.key->key.user_id, ctx.key->key.id,
               e.code, e.msg);
  return error_response(e);
}

Response withdraw_apply(const Services& s, Context& ctx) {
  const keys::ApiKey& key = ctx.key->key;
  const std::string coin = param(ctx, "coin");
  if (coin.empty()) return error_response(make_error(err::kBadParam, "coin"));
  const std::string address = param(ctx, "address");
  if (address.empty()) return error_response(make_error(err::kBadParam, "address"));
  const auto amount = parse_decimal(ctx.params->get("amount").value_or(""), kAmountScale);
  if (!amount || *amount <= 0) return error_response(make_error(err::kBadParam, "amount"));
  const std::string tag = param(ctx, "addressTag");
  const std::string order_id = param(ctx, "withdrawOrderId");
  if (!order_id.empty() && !valid_client_id(order_id)) {
    return error_response(make_error(err::kIllegalChars, "withdrawOrderId", kClientIdRange));
  }
  auto net = s.wallet.network_of(coin, param(ctx, "network"));
  if (!net) return refuse(ctx, net.error());
  const Network& n = **net;
  if (!n.withdraw_enable) return refuse(ctx, make_error(err::kNetworkSuspended, "Withdrawal", coin, n.name));
  if (auto st = s.wallet.check_address(coin, n.name, address, tag); !st) return refuse(ctx, st.error());
  if (*amount < n.withdraw_min || *amount > n.withdraw_max || *amount % n.withdraw_multiple != 0) {
    return refuse(ctx, make_error(err::kWithdrawAmount, amount_text(n.withdraw_min), amount_text(n.withdraw_max), coin,
                                  amount_text(n.withdraw_multiple)));
  }
  if (auto st = check_destination(s, key, coin, n.name, address, tag); !st) return refuse(ctx, st.error());
  wallet::WithdrawRequest req{key.user_id, key.id, coin, n.name, address, tag, *amount, order_id, 0};
  if (const auto* cap = key.withdraw.cap_for(coin)) req.key_daily_cap = cap->amount;
  auto w = s.wallet.withdraw(req);
  if (!w) return refuse(ctx, w.error());
  return json_response(json::object{{"id", std::to_string(w->id)}});
}
}  // namespace

void add_capital_routes(Router& router, const Services& s) {
  // Every coin with its networks, and the user's balance of it.
  router.add({"GET", "/sapi/v1/capital/config/getall", Security::kUserData, 10, true,
              [&s](Context& ctx) {
                const auto balances = s.wallet.balances(ctx.key->key.user_id);
                json::array coins;
                for (const auto& a : s.exchange.assets) {
                  int64_t free = 0, locked = 0;
                  for (const auto& b : balances) {
                    if (b.asset == a.name) free = b.free, locked = b.locked;
                  }
                  json::array networks;
                  bool deposit_any = false, withdraw_any = false;
                  for (const auto& n : a.networks) {
                    networks.push_back(network_json(a, n, s.wallet.confirmations_needed(n)));
                    deposit_any = deposit_any || n.deposit_enable;
                    withdraw_any = withdraw_any || n.withdraw_enable;
                  }
                  coins.push_back(json::object{{"coin", a.name},
                                               {"name", a.full_name.empty() ? a.name : a.full_name},
                                               {"free", amount_text(free)},
                                               {"locked", amount_text(locked)},
                                               {"freeze", amount_text(0)},
                                               {"withdrawing", amount_text(0)},
                                               {"ipoing", amount_text(0)},
                                               {"ipoable", amount_text(0)},
                                               {"storage", amount_text(0)},
                                               {"isLegalMoney", false},
                                               {"trading", true},
                                               {"depositAllEnable", deposit_any},
                                               {"withdrawAllEnable", withdraw_any},
                                               {"networkList", std::move(networks)}});
                }
                return json_response(coins);
              },
              Permission::kRead});

  router.add({"GET", "/sapi/v1/capital/deposit/address", Security::kUserData, 10, true,
              [&s](Context& ctx) {
                const std::string coin = param(ctx, "coin");
                if (coin.empty()) return error_response(make_error(err::kBadParam, "coin"));
                auto a = s.wallet.deposit_address(ctx.key->key.user_id, coin, param(ctx, "network"));
                if (!a) return error_response(a.error());
                return json_response(json::object{{"address", a->address}, {"coin", a->asset}, {"tag", a->tag}, {"url", ""}});
              },
              Permission::kDeposit});

  router.add({"GET", "/sapi/v1/capital/deposit/hisrec", Security::kUserData, 1, true,
              [&s](Context& ctx) {
                wallet::DepositQuery q;
                q.asset = param(ctx, "coin");
                if (auto st = read_window(ctx, 1, q); !st) return error_response(st.error());
                q.txid = param(ctx, "txId");
                json::array out;
                for (const auto& d : s.wallet.deposits_of(ctx.key->key.user_id, q)) out.push_back(deposit_json(s.wallet, d));
                return json_response(out);
              },
              Permission::kRead});

  router.add({"POST", "/sapi/v1/capital/withdraw/apply", Security::kUserData, 1, true,
              [&s](Context& ctx) { return withdraw_apply(s, ctx); }, Permission::kWithdraw});

  router.add({"GET", "/sapi/v1/capital/withdraw/history", Security::kUserData, 10, true,
              [&s](Context& ctx) {
                wallet::WithdrawQuery q;
                q.asset = param(ctx, "coin");
                q.withdraw_order_id = param(ctx, "withdrawOrderId");
                if (auto st = read_window(ctx, 6, q); !st) return error_response(st.error());
                if (auto ids = ctx.params->get("idList"); ids && !ids->empty()) {
                  std::string_view rest = *ids;
                  while (!rest.empty()) {
                    size_t comma = rest.find(',');
                    auto id = parse_decimal(rest.substr(0, comma), 0);
                    if (!id || q.ids.size() >= 45) return error_response(make_error(err::kBadParam, "idList"));
                    q.ids.push_back(*id);
                    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
                  }
                }
                json::array out;
                for (const auto& w : s.wallet.withdrawals_of(ctx.key->key.user_id, q)) out.push_back(withdrawal_json(w));
                return json_response(out);
              },
              Permission::kRead});
}

}  // namespace kg::api
