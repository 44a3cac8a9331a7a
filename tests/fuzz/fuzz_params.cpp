// libFuzzer target: request parameter parsing, signature payloads and decimals, the parsers
// every untrusted request goes through. Input: "<query>\n<body>".

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/decimal.hpp"
#include "common/query.hpp"

namespace {
void check(bool cond) {
  if (!cond) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string_view query = input.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);

  auto params = kg::parse_params(query, body);
  if (params) {
    // No name twice in the merged result.
    const auto& items = params->items();
    for (size_t i = 0; i < items.size(); ++i) {
      for (size_t j = i + 1; j < items.size(); ++j) check(items[i].first != items[j].first);
    }
    for (const auto& [k, v] : items) {
      // Every decimal that parses formats back to the same value.
      for (int scale : {0, 2, 8, 18}) {
        if (auto units = kg::parse_decimal(v, scale, true)) {
          check(kg::parse_decimal(kg::format_decimal(*units, scale), scale, true) == units);
        }
      }
    }
  } else {
    check(params.error().code == -1100 || params.error().code == -1101);
  }
  std::string payload = kg::signature_payload(query, body);
  check(payload.size() <= query.size() + body.size());
  // The no-copy path agrees with the plain one.
  std::string storage;
  check(kg::signature_payload(query, body, storage) == payload);
  // Within one source no signature pair survives (across the boundary the concatenation may
  // spell one: Binance's rule is the plain concatenation).
  if (body.empty()) check(!payload.starts_with("signature=") && payload.find("&signature=") == std::string::npos);
  return 0;
}
