// The console's money pages: the withdrawal address book and its switch, each key's withdrawal
// addresses and daily caps, and read-only views (balances, deposit addresses, networks, and the
// histories of deposits, withdrawals and internal transfers).
// What adds power needs a fresh 2FA code: adding an address, turning address management off,
// widening a key's withdrawal rules. What removes power never does.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/api.hpp"
#include "api/json_body.hpp"
#include "api/params.hpp"
#include "common/decimal.hpp"
#include "common/text.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;


json::object book_json(const accounts::BookAddress& a, int64_t now) {
  return json::object{{"id", a.id},
                      {"asset", a.asset},
                      {"network", a.network},
                      {"address", a.address},
                      {"tag", a.tag},
                      {"label", a.label},
                      {"createdAt", a.created_at},
                      {"usableAt", a.usable_at},
                      {"usable", now >= a.usable_at}};
}

json::object rules_json(const keys::WithdrawRules& r) {
  json::array ids;
  for (int64_t id : r.address_ids) ids.push_back(id);
  json::object caps;
  for (const auto& c : r.daily_caps) caps[c.asset] = amount_text(c.amount);
  return json::object{{"addressIds", std::move(ids)}, {"dailyCaps", std::move(caps)}};
}

Status require_totp(const Services& s, int64_t user_id, const std::optional<std::string>& totp) {
  if (!totp || totp->empty()) return make_error(err::kTotpRequired);
  return s.accounts.check_totp(user_id, *totp);
}

Response add_address(const Services& s, Context& ctx) {
  auto body = JsonBody::parse(ctx.request.body, {"asset", "network", "address", "tag", "label", "totp"});
  if (!body) return error_response(body.error());
  auto asset = body->required_string("asset");
  if (!asset) return error_response(asset.error());
  auto network = body->optional_string("network");
  if (!network) return error_response(network.error());
  auto address = body->required_string("address");
  if (!address) return error_response(address.error());
  auto tag = body->optional_string("tag");
  if (!tag) return error_response(tag.error());
  auto label = body->required_string("label");
  if (!label) return error_response(label.error());
  auto totp = body->optional_string("totp");
  if (!totp) return error_response(totp.error());
  if (!valid_label(*label)) return error_response(make_error(err::kBadLabel));
  auto net = s.wallet.network_of(*asset, network->value_or(""));
  if (!net) return error_response(net.error());
  const std::string tag_text = tag->value_or("");
  if (auto st = s.wallet.check_address(*asset, (*net)->name, *address, tag_text); !st) return error_response(st.error());
  // Every check on the request first, then the code: a bad request does not spend a code.
  if (auto st = require_totp(s, ctx.user->id, *totp); !st) return error_response(st.error());
  accounts::BookAddress entry;
  entry.asset = *asset;
  entry.network = (*net)->name;
  entry.address = *address;
  entry.tag = tag_text;
  entry.label = *label;
  auto added = s.address_book.add(ctx.user->id, entry);
  if (!added) return error_response(added.error());
  return json_response(book_json(*added, s.clock.now_ms()));
}

Response put_settings(const Services& s, Context& ctx) {
  auto body = JsonBody::parse(ctx.request.body, {"withdrawWhitelistOnly", "totp"});
  if (!body) return error_response(body.error());
  auto on = body->optional_bool("withdrawWhitelistOnly");
  if (!on) return error_response(on.error());
  auto totp = body->optional_string("totp");
  if (!totp) return error_response(totp.error());
  if (!*on) return error_response(make_error(err::kBadParam, "withdrawWhitelistOnly"));
  const bool was = s.address_book.whitelist_only(ctx.user->id);
  if (was && !**on) {
    // Off lets API withdrawals go to any address: more power, so a fresh code.
    if (auto st = require_totp(s, ctx.user->id, *totp); !st) return error_response(st.error());
  }
  if (was != **on) s.address_book.set_whitelist_only(ctx.user->id, **on);
  return json_response(json::object{{"withdrawWhitelistOnly", **on}});
}

Response put_withdraw_rules(const Services& s, Context& ctx) {
  auto body = JsonBody::parse(ctx.request.body, {"addressIds", "dailyCaps", "totp"});
  if (!body) return error_response(body.error());
  auto ids = body->optional_int64s("addressIds");
  if (!ids) return error_response(ids.error());
  auto caps = body->optional_string_map("dailyCaps");
  if (!caps) return error_response(caps.error());
  auto totp = body->optional_string("totp");
  if (!totp) return error_response(totp.error());
  keys::WithdrawRules rules;
  for (int64_t id : ids->value_or(std::vector<int64_t>{})) {
    // Only the user's own entries; another user's id is "no such entry", like a missing one.
    if (!s.address_book.get(ctx.user->id, id)) return error_response(make_error(err::kNoBookAddress));
    if (!rules.allows_address(id) || rules.address_ids.empty()) rules.address_ids.push_back(id);
  }
  for (const auto& [asset, text] : caps->value_or(std::vector<std::pair<std::string, std::string>>{})) {
    auto amount = parse_decimal(text, kAmountScale);
    if (!s.exchange.find_asset(asset) || !amount || *amount <= 0 || rules.cap_for(asset)) {
      return error_response(make_error(err::kBadCap, asset + ":" + text));
    }
    rules.daily_caps.push_back({asset, *amount});
  }
  const std::string& api_key = ctx.path_params.at(0);
  if (auto st = s.keys.set_withdraw_rules(ctx.user->id, api_key, rules, *totp); !st) return error_response(st.error());
  return json_response(rules_json(rules));
}

json::array balances_json(const Services& s, int64_t user_id) {
  json::array out;
  for (const auto& b : s.wallet.balances(user_id)) {
    out.push_back(json::object{{"asset", b.asset}, {"free", amount_text(b.free)}, {"locked", amount_text(b.locked)}});
  }
  return out;
}
}  // namespace

void add_console_wallet_routes(Router& router, const Services& s) {
  router.add({"GET", "/console/v1/withdraw-addresses", Security::kConsole, 1, true, [&s](Context& ctx) {
                json::array list;
                const int64_t now = s.clock.now_ms();
                for (const auto& a : s.address_book.list(ctx.user->id)) list.push_back(book_json(a, now));
                return json_response(json::object{{"addresses", std::move(list)},
                                                  {"withdrawWhitelistOnly", s.address_book.whitelist_only(ctx.user->id)},
                                                  {"cooloffSeconds", s.address_book.cooloff_s()}});
              }});
  router.add({"POST", "/console/v1/withdraw-addresses", Security::kConsole, 1, true,
              [&s](Context& ctx) { return add_address(s, ctx); }});
  router.add({"DELETE", "/console/v1/withdraw-addresses/{id}", Security::kConsole, 1, true, [&s](Context& ctx) {
                auto id = parse_decimal(ctx.path_params.at(0), 0);
                if (!id) return error_response(make_error(err::kNoBookAddress));
                if (auto st = s.address_book.remove(ctx.user->id, *id); !st) return error_response(st.error());
                return json_response(json::object{});
              }});

  router.add({"GET", "/console/v1/settings", Security::kConsole, 1, true, [&s](Context& ctx) {
                return json_response(json::object{{"withdrawWhitelistOnly", s.address_book.whitelist_only(ctx.user->id)}});
              }});
  router.add({"PUT", "/console/v1/settings", Security::kConsole, 1, true,
              [&s](Context& ctx) { return put_settings(s, ctx); }});

  router.add({"GET", "/console/v1/keys/{apiKey}/withdraw-rules", Security::kConsole, 1, true, [&s](Context& ctx) {
                auto key = s.keys.get(ctx.user->id, ctx.path_params.at(0));
                if (!key) return error_response(key.error());
                return json_response(rules_json(key->withdraw));
              }});
  router.add({"PUT", "/console/v1/keys/{apiKey}/withdraw-rules", Security::kConsole, 1, true,
              [&s](Context& ctx) { return put_withdraw_rules(s, ctx); }});

  // Read-only views for the console's pages.
  router.add({"GET", "/console/v1/balances", Security::kConsole, 1, true, [&s](Context& ctx) {
                return json_response(json::object{{"balances", balances_json(s, ctx.user->id)}});
              }});
  router.add({"GET", "/console/v1/networks", Security::kConsole, 1, true, [&s](Context&) {
                json::array assets;
                for (const auto& a : s.exchange.assets) {
                  json::array networks;
                  for (const auto& n : a.networks) {
                    networks.push_back(json::object{{"network", n.name},
                                                    {"name", n.full_name},
                                                    {"isDefault", n.is_default},
                                                    {"depositEnable", n.deposit_enable},
                                                    {"withdrawEnable", n.withdraw_enable},
                                                    {"withdrawFee", amount_text(n.withdraw_fee)},
                                                    {"withdrawMin", amount_text(n.withdraw_min)},
                                                    {"hasTag", !n.memo_regex.empty()},
                                                    {"minConfirm", s.wallet.confirmations_needed(n)}});
                  }
                  assets.push_back(json::object{{"asset", a.name}, {"name", a.full_name}, {"networks", std::move(networks)}});
                }
                return json_response(json::object{{"assets", std::move(assets)}});
              }});
  router.add({"GET", "/console/v1/deposit-address/{asset}/{network}", Security::kConsole, 1, true, [&s](Context& ctx) {
                auto a = s.wallet.deposit_address(ctx.user->id, ctx.path_params.at(0), ctx.path_params.at(1));
                if (!a) return error_response(a.error());
                return json_response(
                    json::object{{"asset", a->asset}, {"network", a->network}, {"address", a->address}, {"tag", a->tag}});
              }});
  router.add({"GET", "/console/v1/deposits", Security::kConsole, 1, true, [&s](Context& ctx) {
                wallet::DepositQuery q;
                q.limit = 100;
                json::array list;
                for (const auto& d : s.wallet.deposits_of(ctx.user->id, q)) {
                  list.push_back(json::object{{"id", d.id},
                                              {"asset", d.tx.asset},
                                              {"network", d.tx.network},
                                              {"amount", amount_text(d.tx.amount)},
                                              {"txId", d.tx.txid},
                                              {"status", d.status == wallet::DepositStatus::kCredited ? "CREDITED" : "PENDING"},
                                              {"confirmations", s.wallet.confirmations(d)},
                                              {"confirmationsNeeded", d.confirmations_needed},
                                              {"insertTime", d.seen_at}});
                }
                return json_response(json::object{{"deposits", std::move(list)}});
              }});
  router.add({"GET", "/console/v1/withdrawals", Security::kConsole, 1, true, [&s](Context& ctx) {
                wallet::WithdrawQuery q;
                q.limit = 100;
                json::array list;
                for (const auto& w : s.wallet.withdrawals_of(ctx.user->id, q)) {
                  list.push_back(json::object{{"id", w.id},
                                              {"asset", w.request.asset},
                                              {"network", w.request.network},
                                              {"address", w.request.address},
                                              {"tag", w.request.tag},
                                              {"amount", amount_text(w.request.amount)},
                                              {"fee", amount_text(w.fee)},
                                              {"status", wallet::status_name(w.status)},
                                              {"txId", w.txid},
                                              {"info", w.info},
                                              {"applyTime", w.applied_at},
                                              {"updateTime", w.updated_at}});
                }
                return json_response(json::object{{"withdrawals", std::move(list)}});
              }});
  // Internal transfers the user sent or received, newest first: the same rows as
  // GET /sapi/v1/transfer/internal/history. The other party is shown by uid only: an email here
  // would let anyone learn the email behind any uid by sending it the smallest amount.
  router.add({"GET", "/console/v1/transfers", Security::kConsole, 1, true, [&s](Context& ctx) {
                const int64_t me = ctx.user->id;
                json::array list;
                for (const auto& t : s.wallet.transfers_of(me, 100)) {
                  const bool out = t.request.from_user == me;
                  list.push_back(json::object{{"tranId", t.tran_id},
                                              {"clientTranId", t.request.client_tran_id},
                                              {"direction", out ? "OUT" : "IN"},
                                              {"counterpartyUid", out ? t.request.to_user : t.request.from_user},
                                              {"asset", t.request.asset},
                                              {"amount", amount_text(t.request.amount)},
                                              {"time", t.at_ms}});
                }
                return json_response(json::object{{"transfers", std::move(list)}});
              }});
}

}  // namespace kg::api
