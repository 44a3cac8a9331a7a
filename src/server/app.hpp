#pragma once

#include <map>
#include <optional>
#include <string>

namespace kg::server {

struct ServeOptions {
  std::optional<std::string> config_file;
  std::map<std::string, std::string> flags;  // setting overrides from the command line
  bool demo = false;
  bool market_maker = true;  // with demo: the demo market maker's quotes (--no-market-maker: none)
};

// Runs the server until SIGTERM/SIGINT. Returns the process exit code.
int serve(const ServeOptions& options);

}  // namespace kg::server
