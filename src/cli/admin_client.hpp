#pragma once

#include <string>

namespace kg::cli {

struct AdminReply {
  bool ok = false;
  std::string text;
};

// Sends one JSON request line to <data_dir>/admin.sock and reads the reply line.
AdminReply admin_call(const std::string& data_dir, const std::string& request_json);

}  // namespace kg::cli
