#pragma once
// Operator commands, as they arrive over the admin socket: one JSON object per line in,
// {"ok": bool, "text": "..."} out. They call the same services the HTTP API calls.

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

#include "api/api.hpp"

namespace kg::api {

class AdminCommands {
 public:
  explicit AdminCommands(Services services) : services_(services) {}
  std::string run(std::string_view request_json);

 private:
  std::string deposit(const boost::json::object& request);
  std::string withdrawal_list();
  std::string desk_fund(const boost::json::object& request);

  Services services_;
};

}  // namespace kg::api
