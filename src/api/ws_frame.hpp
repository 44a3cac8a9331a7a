#pragma once
// A WebSocket API request frame, {"id": …, "method": "…", "params": {…}}, read with the text of
// every parameter exactly as the client wrote it: a signature covers that text, and a JSON number
// such as 0.10 must not come back as 0.1 (Boost.JSON's basic_parser hands over each number's text).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace kg::api {

struct WsFrame {
  std::string id = "null";  // the id as JSON text, echoed back as it came (string, number or null)
  std::string method;
  // In the order sent: strings without their quotes, numbers and booleans as written, arrays and
  // objects as compact JSON (as JSON.stringify writes them).
  std::vector<std::pair<std::string, std::string>> params;
};

// -7006 for what is not a JSON object; -1102 for a missing or non-string method, or params that
// are not an object.
Result<WsFrame> parse_ws_frame(std::string_view text);

}  // namespace kg::api
