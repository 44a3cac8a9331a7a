// keygate: `serve` runs the server; `admin ...` talks to a running one over its admin socket.

#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>
#include <string>

#include "cli/admin_client.hpp"
#include "server/app.hpp"

namespace {

int run_admin(const std::string& data_dir, const boost::json::object& request) {
  auto reply = kg::cli::admin_call(data_dir, boost::json::serialize(request));
  if (!reply.ok) {
    std::cerr << "keygate admin: " << reply.text << "\n";
    return 1;
  }
  std::cout << reply.text;
  if (!reply.text.empty() && reply.text.back() != '\n') std::cout << "\n";
  return 0;
}

std::string read_password_stdin() {
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"keygate: a self-hostable exchange account server with Binance-compatible API keys"};
  app.require_subcommand(1);
  // --data-dir may also come before the subcommand: keygate --data-dir D admin user list.
  std::string data_dir_root;
  app.add_option("--data-dir", data_dir_root, "Data directory (for serve and admin)");

  // serve
  kg::server::ServeOptions serve_opts;
  std::string listen, data_dir_serve, db, config_file;
  auto* serve = app.add_subcommand("serve", "Run the server");
  serve->add_option("--config", config_file, "TOML configuration file");
  serve->add_option("--listen", listen, "HOST:PORT to listen on (port 0 picks a free port)");
  serve->add_option("--data-dir", data_dir_serve, "Data directory (SQLite file, master key, admin socket)");
  serve->add_option("--db", db, "Database URL: postgresql://... (default: SQLite in the data dir)");
  serve->add_flag("--demo", serve_opts.demo, "Create demo markets, a demo user and a market maker");
  bool no_market_maker = false;
  serve->add_flag("--no-market-maker", no_market_maker, "With --demo: no market maker (books only you fill)");

  // admin
  std::string data_dir = "./data";
  auto* admin = app.add_subcommand("admin", "Operate a running server through its admin socket");
  admin->add_option("--data-dir", data_dir, "Data directory of the running server")->capture_default_str();
  admin->require_subcommand(1);
  auto* user = admin->add_subcommand("user", "Manage users")->fallthrough();
  user->require_subcommand(1);

  std::string email, api_access;
  bool password_stdin = false;
  auto* create = user->add_subcommand("create", "Create a user")->fallthrough();
  create->add_option("--email", email, "Email address")->required();
  create->add_flag("--password-stdin", password_stdin, "Read the password from standard input")->required();
  auto* list = user->add_subcommand("list", "List users")->fallthrough();
  auto* set = user->add_subcommand("set", "Change a user's settings")->fallthrough();
  set->add_option("--email", email, "Email address")->required();
  set->add_option("--api-access", api_access, "on|off: whether the user may create API keys")
      ->required()->check(CLI::IsMember({"on", "off"}));
  auto* unlock = user->add_subcommand("unlock", "Lift login and 2FA lockouts")->fallthrough();
  unlock->add_option("--email", email, "Email address")->required();

  std::string api_key;
  auto* key = admin->add_subcommand("key", "Manage API keys")->fallthrough();
  key->require_subcommand(1);
  auto* key_list = key->add_subcommand("list", "List a user's API keys")->fallthrough();
  key_list->add_option("--email", email, "Email address of the owner")->required();
  auto* key_disable = key->add_subcommand("disable", "Deactivate an API key")->fallthrough();
  key_disable->add_option("key", api_key, "The API key")->required();
  auto* key_delete = key->add_subcommand("delete", "Delete an API key")->fallthrough();
  key_delete->add_option("key", api_key, "The API key")->required();

  std::string asset, amount, txid, address, network, tag;
  auto* deposit = admin->add_subcommand("deposit", "Record an incoming chain transaction (simulated chain)")->fallthrough();
  auto* dep_email = deposit->add_option("--email", email, "Shortcut: the user's deposit address on the asset's default network");
  auto* dep_address = deposit->add_option("--address", address, "The deposit address the transaction pays to");
  dep_email->excludes(dep_address);
  deposit->add_option("--tag", tag, "The tag (memo), on networks that use them");
  deposit->add_option("--asset", asset, "Asset, e.g. USDT")->required();
  deposit->add_option("--amount", amount, "Amount, e.g. 1000.5")->required();
  deposit->add_option("--txid", txid, "Chain transaction id: recorded once per txid (default: a new one)");
  deposit->add_option("--network", network, "Network (default: the one the address is on / the asset's default)");

  std::string withdrawal_id, reason;
  auto* withdrawal = admin->add_subcommand("withdrawal", "Withdrawals waiting for the operator or the chain")->fallthrough();
  withdrawal->require_subcommand(1);
  auto* wd_list = withdrawal->add_subcommand("list", "Open withdrawals (awaiting approval or processing)")->fallthrough();
  auto* wd_approve = withdrawal->add_subcommand("approve", "Approve a withdrawal awaiting approval")->fallthrough();
  wd_approve->add_option("id", withdrawal_id, "Withdrawal id")->required();
  auto* wd_reject = withdrawal->add_subcommand("reject", "Reject an open withdrawal; its amount and fee go back")->fallthrough();
  wd_reject->add_option("id", withdrawal_id, "Withdrawal id")->required();
  wd_reject->add_option("--reason", reason, "Shown to the user in the withdrawal history");
  auto* wd_fail = withdrawal->add_subcommand("fail", "Mark a processing withdrawal failed on the chain; funds go back")
                      ->fallthrough();
  wd_fail->add_option("id", withdrawal_id, "Withdrawal id")->required();
  wd_fail->add_option("--reason", reason, "Shown to the user in the withdrawal history");
  std::string desk_ref;
  auto* desk = admin->add_subcommand("desk", "The convert desk: the exchange's own inventory")->fallthrough();
  desk->require_subcommand(1);
  auto* desk_fund = desk->add_subcommand("fund", "Put inventory on the convert desk (from outside)")->fallthrough();
  desk_fund->add_option("--asset", asset, "Asset, e.g. XRP")->required();
  desk_fund->add_option("--amount", amount, "Amount, e.g. 1000000")->required();
  desk_fund->add_option("--ref", desk_ref, "Reference: funded once per reference (default: a new one)");

  auto* ledger = admin->add_subcommand("ledger", "The ledger")->fallthrough();
  ledger->require_subcommand(1);
  auto* verify = ledger->add_subcommand("verify", "Recompute every balance from the journal and check conservation")
                     ->fallthrough();

  CLI11_PARSE(app, argc, argv);

  if (!data_dir_root.empty()) {
    if (data_dir_serve.empty()) data_dir_serve = data_dir_root;
    if (admin->count("--data-dir") == 0) data_dir = data_dir_root;
  }
  if (serve->parsed()) {
    if (!config_file.empty()) serve_opts.config_file = config_file;
    if (!listen.empty()) serve_opts.flags["listen"] = listen;
    if (!data_dir_serve.empty()) serve_opts.flags["data_dir"] = data_dir_serve;
    if (!db.empty()) serve_opts.flags["db"] = db;
    serve_opts.market_maker = !no_market_maker;
    return kg::server::serve(serve_opts);
  }
  if (create->parsed()) {
    return run_admin(data_dir, {{"cmd", "user.create"}, {"email", email}, {"password", read_password_stdin()}});
  }
  if (list->parsed()) return run_admin(data_dir, {{"cmd", "user.list"}});
  if (set->parsed()) return run_admin(data_dir, {{"cmd", "user.set"}, {"email", email}, {"apiAccess", api_access}});
  if (unlock->parsed()) return run_admin(data_dir, {{"cmd", "user.unlock"}, {"email", email}});
  if (deposit->parsed()) {
    return run_admin(data_dir, {{"cmd", "deposit"}, {"email", email}, {"asset", asset}, {"amount", amount},
                                {"txid", txid}, {"network", network}, {"address", address}, {"tag", tag}});
  }
  if (wd_list->parsed()) return run_admin(data_dir, {{"cmd", "withdrawal.list"}});
  if (wd_approve->parsed()) return run_admin(data_dir, {{"cmd", "withdrawal.approve"}, {"id", withdrawal_id}});
  if (wd_reject->parsed()) {
    return run_admin(data_dir, {{"cmd", "withdrawal.reject"}, {"id", withdrawal_id}, {"reason", reason}});
  }
  if (wd_fail->parsed()) return run_admin(data_dir, {{"cmd", "withdrawal.fail"}, {"id", withdrawal_id}, {"reason", reason}});
  if (verify->parsed()) return run_admin(data_dir, {{"cmd", "ledger.verify"}});
  if (desk_fund->parsed()) {
    return run_admin(data_dir, {{"cmd", "desk.fund"}, {"asset", asset}, {"amount", amount}, {"ref", desk_ref}});
  }
  if (key_list->parsed()) return run_admin(data_dir, {{"cmd", "key.list"}, {"email", email}});
  if (key_disable->parsed()) return run_admin(data_dir, {{"cmd", "key.disable"}, {"apiKey", api_key}});
  if (key_delete->parsed()) return run_admin(data_dir, {{"cmd", "key.delete"}, {"apiKey", api_key}});
  return 1;
}
