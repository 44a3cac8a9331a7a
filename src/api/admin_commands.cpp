#include "api/admin_commands.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "common/decimal.hpp"
#include "crypto/random.hpp"

namespace kg::api {

namespace {
namespace json = boost::json;

std::string reply(bool ok, const std::string& text) {
  return json::serialize(json::object{{"ok", ok}, {"text", text}});
}

std::string field(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string iso_time(int64_t ms) {
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string user_table(const std::vector<accounts::User>& users) {
  std::string out = fmt::format("{:<8} {:<40} {:<4} {:<10} {:<7} {}\n", "UID", "EMAIL", "2FA", "API_ACCESS",
                                "LOCKED", "CREATED");
  for (const auto& u : users) {
    out += fmt::format("{:<8} {:<40} {:<4} {:<10} {:<7} {}\n", u.id, u.email, u.totp_enabled ? "on" : "off",
                       u.api_access ? "on" : "off", u.login_locked ? "yes" : "no", iso_time(u.created_at));
  }
  return out;
}
std::string key_table(const std::vector<keys::ApiKey>& list, int64_t now) {
  std::string out = fmt::format("{:<64} {:<20} {:<11} {:<8} {:<30} {}\n", "API_KEY", "LABEL", "TYPE", "STATUS",
                                "PERMISSIONS", "IPS");
  for (const auto& k : list) {
    std::string perms = fmt::format("{}", fmt::join(keys::permission_names(k.permissions), ","));
    if (k.read_only) perms += " (read-only)";
    std::string ips = k.allowlist.empty() ? "all" : fmt::format("{}", fmt::join(k.allowlist.to_strings(), ","));
    out += fmt::format("{:<64} {:<20} {:<11} {:<8} {:<30} {}\n", k.api_key, k.label, keys::key_type_name(k.type),
                       !k.active ? "INACTIVE" : k.expired(now) ? "EXPIRED" : "ACTIVE", perms, ips);
  }
  return out;
}
std::string withdrawal_table(const std::vector<wallet::Withdrawal>& list) {
  std::string out = fmt::format("{:<8} {:<8} {:<6} {:<6} {:>20} {:>14} {:<18} {}\n", "ID", "UID", "ASSET", "NETWORK",
                                "AMOUNT", "FEE", "STATUS", "ADDRESS");
  for (const auto& w : list) {
    out += fmt::format("{:<8} {:<8} {:<6} {:<6} {:>20} {:>14} {:<18} {}{}\n", w.id, w.request.user_id, w.request.asset,
                       w.request.network, format_decimal(w.request.amount, kAmountScale),
                       format_decimal(w.fee, kAmountScale), wallet::status_name(w.status), w.request.address,
                       w.request.tag.empty() ? "" : " tag " + w.request.tag);
  }
  return out;
}
}  // namespace

std::string AdminCommands::withdrawal_list() {
  auto open = services_.wallet.open_withdrawals();
  if (open.empty()) return reply(true, "no open withdrawals");
  return reply(true, withdrawal_table(open));
}

// An incoming chain transaction: to a deposit address (and tag), or to a user's address on the
// asset's default network (--email, a shortcut).
std::string AdminCommands::deposit(const json::object& req) {
  auto amount = parse_decimal(field(req, "amount"), kAmountScale);
  if (!amount || *amount <= 0) return reply(false, "--amount must be a positive decimal with at most 8 places");
  wallet::ChainTx tx{field(req, "asset"), field(req, "network"), field(req, "address"), field(req, "tag"), *amount,
                     field(req, "txid")};
  const std::string email = field(req, "email");
  if (email.empty() == tx.address.empty()) return reply(false, "give either --email or --address");
  if (!email.empty()) {
    auto user = services_.accounts.find_by_email(email);
    if (!user) return reply(false, user.error().msg);
    auto a = services_.wallet.deposit_address(user->id, tx.asset, tx.network);
    if (!a) return reply(false, a.error().msg);
    tx.network = a->network;
    tx.address = a->address;
    tx.tag = a->tag;
  }
  auto d = services_.wallet.record_deposit(tx);
  if (!d) return reply(false, d.error().msg);
  const std::string what = fmt::format("{} {} on {} (txid {})", format_decimal(d->tx.amount, kAmountScale), d->tx.asset,
                                       d->tx.network, d->tx.txid);
  if (d->already_recorded) {
    return reply(true, fmt::format("txid {} was already {}; nothing changed", d->tx.txid,
                                   d->status == wallet::DepositStatus::kCredited ? "credited" : "recorded (pending)"));
  }
  if (d->status == wallet::DepositStatus::kCredited) {
    return reply(true, fmt::format("credited {} to uid {}, journal entry {}", what, d->user_id, d->entry_id));
  }
  return reply(true, fmt::format("recorded {} for uid {}: pending, credited after {} confirmations", what, d->user_id,
                                 d->confirmations_needed));
}

// The exchange puts its own inventory on the convert desk, once per --ref.
std::string AdminCommands::desk_fund(const json::object& req) {
  auto amount = parse_decimal(field(req, "amount"), kAmountScale);
  if (!amount || *amount <= 0) return reply(false, "--amount must be a positive decimal with at most 8 places");
  auto f = services_.convert.fund_desk(field(req, "asset"), *amount, field(req, "ref"));
  if (!f) return reply(false, f.error().msg);
  std::string out = f->replayed ? fmt::format("reference {} already funded the desk with {} {} (journal entry {}); "
                                              "nothing changed\n",
                                              f->reference, format_decimal(f->amount, kAmountScale), f->asset, f->entry_id)
                                : fmt::format("funded the convert desk with {} {} (reference {}, journal entry {})\n",
                                              format_decimal(f->amount, kAmountScale), f->asset, f->reference,
                                              f->entry_id);
  out += "the desk holds:";
  for (const auto& [asset, held] : services_.convert.desk_balances()) {
    out += fmt::format(" {} {}", format_decimal(held, kAmountScale), asset);
  }
  spdlog::info("event=admin_desk_fund asset={} amount={} ref={} replayed={}", f->asset, f->amount, f->reference,
               f->replayed);
  return reply(true, out);
}

std::string AdminCommands::run(std::string_view request_json) {
  boost::system::error_code ec;
  json::value v = json::parse(request_json, ec);
  if (ec || !v.is_object()) return reply(false, "malformed admin request");
  const json::object& req = v.as_object();
  const std::string cmd = field(req, "cmd");
  accounts::Accounts& acc = services_.accounts;
  try {
    if (cmd == "ping") return reply(true, "keygate is running");
    if (cmd == "user.create") {
      auto user = acc.signup(field(req, "email"), field(req, "password"));
      if (!user) return reply(false, user.error().msg);
      spdlog::info("event=admin_user_create uid={}", user->id);
      return reply(true, fmt::format("created user {} (uid {})", user->email, user->id));
    }
    if (cmd == "user.list") return reply(true, user_table(acc.list_users()));
    if (cmd == "user.set") {
      const std::string access = field(req, "apiAccess");
      if (access != "on" && access != "off") return reply(false, "--api-access must be on or off");
      auto s = acc.set_api_access(field(req, "email"), access == "on");
      if (!s) return reply(false, s.error().msg);
      if (auto user = acc.find_by_email(field(req, "email"))) services_.keys.set_user_blocked(user->id, access == "off");
      return reply(true, fmt::format("API access {} for {}", access, field(req, "email")));
    }
    if (cmd == "user.unlock") {
      auto s = acc.unlock(field(req, "email"));
      if (!s) return reply(false, s.error().msg);
      return reply(true, fmt::format("unlocked {}", field(req, "email")));
    }
    if (cmd == "deposit") return deposit(req);
    if (cmd == "withdrawal.list") return withdrawal_list();
    if (cmd == "withdrawal.approve" || cmd == "withdrawal.reject" || cmd == "withdrawal.fail") {
      auto id = parse_decimal(field(req, "id"), 0);
      if (!id) return reply(false, "--id must be a withdrawal id");
      const std::string reason = field(req, "reason");
      auto& w = services_.wallet;
      auto done = cmd == "withdrawal.approve" ? w.approve_withdrawal(*id)
                  : cmd == "withdrawal.reject" ? w.reject_withdrawal(*id, reason)
                                               : w.fail_withdrawal(*id, reason);
      if (!done) return reply(false, done.error().msg);
      return reply(true, fmt::format("withdrawal {} is now {}{}", *id, wallet::status_name(done->status),
                                     wallet::is_final(done->status) ? "; the amount and fee are back in the user's balance"
                                                                    : ""));
    }
    if (cmd == "desk.fund") return desk_fund(req);
    if (cmd == "ledger.verify") {
      auto check = services_.wallet.verify();
      std::string out = fmt::format("{} journal entries, state hash {:016x}\n", check.entries, check.state_hash);
      out += fmt::format("{:<8} {:>22} {:>22} {:>22} {:>22} {:>22} {:>22}\n", "ASSET", "USERS_FREE", "USERS_LOCKED",
                         "FEES", "PENDING_WITHDRAWAL", "DESK", "EXTERNAL");
      for (const auto& t : check.totals) {
        out += fmt::format("{:<8} {:>22} {:>22} {:>22} {:>22} {:>22} {:>22}\n", t.asset,
                           format_decimal(t.users_free, kAmountScale), format_decimal(t.users_locked, kAmountScale),
                           format_decimal(t.fees, kAmountScale), format_decimal(t.pending_withdrawal, kAmountScale),
                           format_decimal(t.desk, kAmountScale), format_decimal(t.external, kAmountScale));
      }
      if (check.mismatch) return reply(false, out + "MISMATCH: " + *check.mismatch);
      if (auto holds = services_.trading.check_holds()) return reply(false, out + "MISMATCH: " + *holds);
      return reply(true, out + "ok: every balance equals its journal and every asset sums to zero; "
                               "every locked balance is what its open orders hold");
    }
    if (cmd == "key.list") {
      auto user = acc.find_by_email(field(req, "email"));
      if (!user) return reply(false, user.error().msg);
      return reply(true, key_table(services_.keys.list(user->id), services_.clock.now_ms()));
    }
    if (cmd == "key.disable" || cmd == "key.delete") {
      const std::string api_key = field(req, "apiKey");
      auto s = cmd == "key.disable" ? services_.keys.admin_disable(api_key) : services_.keys.admin_delete(api_key);
      if (!s) return reply(false, s.error().msg);
      spdlog::info("event=admin_{} ", cmd == "key.disable" ? "key_disable" : "key_delete");
      return reply(true, fmt::format("{} {}", cmd == "key.disable" ? "disabled" : "deleted", api_key));
    }
  } catch (const std::exception& e) {
    spdlog::error("event=admin_error cmd={} error=\"{}\"", cmd, e.what());
    return reply(false, std::string("command failed: ") + e.what());
  }
  return reply(false, "unknown admin command: " + cmd);
}

}  // namespace kg::api
