// libFuzzer target: how raw bytes from a socket become a request the API answers. Beast's
// request_parser<string_body> runs with the server's limits, fed as net/http_session.cpp feeds it
// (the header checked against the limit by the project's own count, then the body); the request
// is converted by the server's own to_api_request (net/http_request.hpp); then the project's own parsers run on it: the parameters
// (common/query), the raw query lookup route weights use (api/params.hpp), the router
// (api/router.cpp, over the real route table) and the IP allowlist parsing that X-Forwarded-For
// hops and trusted proxies go through (keys/ip_allowlist).
//
// Oracles: the same bytes delivered whole or in small pieces give the same outcome (unless the
// header is near its limit, where Beast's own check depends on the pieces); an accepted request
// fits the limits and its path and query spell its target; a parameter the raw lookup finds reads
// the same once decoded, and one it misses has no value; the router picks what a plain scan of the
// route table picks; an address range prints as text that parses back to it, and every address an
// allowlist allows is one the range parser reads as that address.
// Input: byte 0 bit 0 picks the limits, the other bits the size of the pieces; then the bytes.
//
// Built with BOOST_ENABLE_ASSERT_DEBUG_HANDLER (scripts/fuzz.sh, tests/fuzz/CMakeLists.txt):
// Boost's assertions go through boost::assertion_failed below, which fails on all but one
// known-wrong one.

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.hpp"
#include "api/params.hpp"
#include "api/router.hpp"
#include "common/query.hpp"
#include "keys/ip_allowlist.hpp"
#include "net/http_request.hpp"

// Beast 1.81's basic_parser::parse_chunk_header asserts n >= 5 when the final chunk ("0\r\n") is
// followed by a piece of fewer than two bytes: the assertion is wrong (the code after it asks for
// more bytes, correctly) and was removed upstream (boostorg/beast#2861, May 2024). With NDEBUG (the
// RelWithDebInfo and Release builds) it is compiled out; a Debug build of the server would abort on
// it (corpus: chunked_final_chunk_in_pieces). Every other assertion fails the run.
namespace boost {
void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                          long line) {
  std::fprintf(stderr, "%s:%ld: %s: assertion '%s' failed %s\n", file, line, function, expr,
               msg ? msg : "");
  std::abort();
}
void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  if (std::string_view(expr) == "n >= 5" &&
      std::string_view(file).ends_with("http/impl/basic_parser.ipp")) {
    return;
  }
  assertion_failed_msg(expr, nullptr, function, file, line);
}
}  // namespace boost

namespace {
namespace http = boost::beast::http;
using kg::net::header_size;
using kg::net::to_api_request;
using kg::keys::IpAllowlist;
using kg::keys::IpRange;

void check(bool cond) {
  if (!cond) std::abort();
}

struct Limits {
  size_t header;
  size_t body;
};
// net/server.hpp HttpLimits defaults (max_header_bytes 8 KiB, max_body_bytes 1 MiB), and the least
// server/config.cpp lets http.max_header_bytes and http.max_body_bytes be set to (1024 each).
constexpr Limits kDefaultLimits{8 * 1024, 1024 * 1024};
constexpr Limits kSmallestLimits{1024, 1024};

// What reading one request off the connection ends in, as http_session.cpp tells them apart.
enum class End { kRequest, kHeaderLimit, kBodyLimit, kClosed, kMalformed };

struct Outcome {
  End end = End::kMalformed;
  std::optional<kg::api::Request> request;
};

// Feeds `bytes` to a parser `piece` bytes at a time (0: all at once), as async_read_header then
// async_read do from a buffer the socket fills: each put sees everything not yet consumed.
Outcome read_request(std::string_view bytes, size_t piece, const Limits& lim) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(lim.header));
  parser.body_limit(lim.body);
  size_t avail = piece == 0 ? bytes.size() : std::min(piece, bytes.size());
  size_t pos = 0;
  bool header_checked = false;
  boost::system::error_code ec;
  for (;;) {
    if (pos < avail) {
      pos += parser.put(boost::asio::const_buffer(bytes.data() + pos, avail - pos), ec);
    } else {
      ec = http::error::need_more;
    }
    if (ec == http::error::need_more) {
      ec = {};
      if (avail < bytes.size()) {
        avail = piece == 0 ? bytes.size() : std::min(avail + piece, bytes.size());
        continue;
      }
      // The peer stopped sending: as Beast's read, end_of_stream before any byte, else put_eof.
      if (parser.got_some()) {
        parser.put_eof(ec);
        if (!ec && !parser.is_done()) ec = http::error::partial_message;
      } else {
        ec = http::error::end_of_stream;
      }
    }
    // Once the header is in: the project's own count against the limit.
    if (!ec && !header_checked && parser.is_header_done()) {
      header_checked = true;
      if (header_size(parser.get()) > lim.header) ec = http::error::header_limit;
    }
    if (ec || parser.is_done()) break;
  }
  Outcome out;
  if (ec == http::error::header_limit) {
    out.end = End::kHeaderLimit;
  } else if (ec == http::error::body_limit) {
    out.end = End::kBodyLimit;
  } else if (ec == http::error::end_of_stream) {
    out.end = End::kClosed;
  } else if (ec) {
    out.end = End::kMalformed;
  } else {
    out.end = End::kRequest;
    out.request = to_api_request(parser.get(), "203.0.113.9");
    check(header_size(parser.get()) <= lim.header);
    // Path and query spell the target: the path up to the first '?', the query after it.
    const std::string_view target = parser.get().target();
    const kg::api::Request& r = *out.request;
    check(r.path.find('?') == std::string::npos && target.starts_with(r.path));
    check(target.size() == r.path.size() ||
          (target[r.path.size()] == '?' && target.substr(r.path.size() + 1) == r.query));
    check(r.headers.size() ==
          static_cast<size_t>(std::distance(parser.get().begin(), parser.get().end())));
  }
  return out;
}

bool same_request(const kg::api::Request& a, const kg::api::Request& b) {
  return a.method == b.method && a.path == b.path && a.query == b.query && a.body == b.body &&
         a.headers == b.headers;
}

// ---- The router over the real route table (the paths of src/api/*_routes.cpp). ----
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    const size_t end = std::min(path.find('/', i), path.size());
    if (end > i) out.push_back(path.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

struct RouteDef {
  const char* method;
  const char* path;
};
constexpr RouteDef kRoutes[] = {
    {"GET", "/"},
    {"GET", "/healthz"},
    {"GET", "/readyz"},
    {"GET", "/metrics"},
    {"GET", "/api/v3/ping"},
    {"GET", "/api/v3/time"},
    {"GET", "/api/v3/exchangeInfo"},
    {"GET", "/api/v3/depth"},
    {"GET", "/api/v3/trades"},
    {"GET", "/api/v3/historicalTrades"},
    {"GET", "/api/v3/aggTrades"},
    {"GET", "/api/v3/klines"},
    {"GET", "/api/v3/uiKlines"},
    {"GET", "/api/v3/avgPrice"},
    {"GET", "/api/v3/ticker/24hr"},
    {"GET", "/api/v3/ticker/price"},
    {"GET", "/api/v3/ticker/bookTicker"},
    {"GET", "/api/v3/account"},
    {"GET", "/api/v3/myTrades"},
    {"GET", "/api/v3/order"},
    {"POST", "/api/v3/order"},
    {"DELETE", "/api/v3/order"},
    {"POST", "/api/v3/order/test"},
    {"GET", "/api/v3/openOrders"},
    {"DELETE", "/api/v3/openOrders"},
    {"GET", "/api/v3/allOrders"},
    {"POST", "/api/v3/userDataStream"},
    {"PUT", "/api/v3/userDataStream"},
    {"DELETE", "/api/v3/userDataStream"},
    {"GET", "/sapi/v1/account/apiRestrictions"},
    {"POST", "/sapi/v1/apikey/revoke"},
    {"GET", "/sapi/v1/capital/config/getall"},
    {"GET", "/sapi/v1/capital/deposit/address"},
    {"GET", "/sapi/v1/capital/deposit/hisrec"},
    {"POST", "/sapi/v1/capital/withdraw/apply"},
    {"GET", "/sapi/v1/capital/withdraw/history"},
    {"POST", "/sapi/v1/convert/getQuote"},
    {"POST", "/sapi/v1/convert/acceptQuote"},
    {"GET", "/sapi/v1/convert/orderStatus"},
    {"GET", "/sapi/v1/convert/tradeFlow"},
    {"POST", "/sapi/v1/transfer/internal"},
    {"GET", "/sapi/v1/transfer/internal/history"},
    {"POST", "/console/v1/signup"},
    {"POST", "/console/v1/login"},
    {"POST", "/console/v1/logout"},
    {"GET", "/console/v1/me"},
    {"POST", "/console/v1/2fa/setup"},
    {"POST", "/console/v1/2fa/enable"},
    {"POST", "/console/v1/2fa/disable"},
    {"GET", "/console/v1/keys"},
    {"POST", "/console/v1/keys"},
    {"POST", "/console/v1/keys/delete-all"},
    {"DELETE", "/console/v1/keys/{apiKey}"},
    {"POST", "/console/v1/keys/{apiKey}/rotate"},
    {"GET", "/console/v1/keys/{apiKey}/log"},
    {"PUT", "/console/v1/keys/{apiKey}/limits"},
    {"GET", "/console/v1/keys/{apiKey}/withdraw-rules"},
    {"PUT", "/console/v1/keys/{apiKey}/withdraw-rules"},
    {"GET", "/console/v1/settings"},
    {"PUT", "/console/v1/settings"},
    {"GET", "/console/v1/balances"},
    {"GET", "/console/v1/networks"},
    {"GET", "/console/v1/deposits"},
    {"GET", "/console/v1/withdrawals"},
    {"GET", "/console/v1/transfers"},
    {"GET", "/console/v1/deposit-address/{asset}/{network}"},
    {"GET", "/console/v1/withdraw-addresses"},
    {"POST", "/console/v1/withdraw-addresses"},
    {"DELETE", "/console/v1/withdraw-addresses/{id}"},
};

const kg::api::Router& router() {
  static const kg::api::Router r = [] {
    kg::api::Router out;
    for (const auto& d : kRoutes) {
      out.add(kg::api::Route{d.method, d.path, kg::api::Security::kNone, 1, false,
                             [](kg::api::Context&) { return kg::api::Response{}; }});
    }
    return out;
  }();
  return r;
}

// Exact paths first (a method of one of them decides), then the patterns in table order.
void check_route(std::string_view method, std::string_view path) {
  const auto m = router().match(method, path);
  const RouteDef* want = nullptr;
  bool known = false, exact = false;
  for (const auto& d : kRoutes) {
    if (std::string_view(d.path).find('{') == std::string_view::npos && d.path == path) {
      exact = known = true;
      if (!want && d.method == method) want = &d;
    }
  }
  std::vector<std::string_view> want_params;
  const auto got_segments = segments(path);
  for (const auto& d : kRoutes) {
    if (exact || std::string_view(d.path).find('{') == std::string_view::npos) continue;
    const auto pattern = segments(d.path);
    if (pattern.size() != got_segments.size()) continue;
    std::vector<std::string_view> params;
    bool match = true;
    for (size_t i = 0; i < pattern.size() && match; ++i) {
      if (pattern[i].front() == '{') {
        params.push_back(got_segments[i]);
      } else {
        match = pattern[i] == got_segments[i];
      }
    }
    if (!match) continue;
    known = true;
    if (!want && d.method == method) {
      want = &d;
      want_params = params;
    }
  }
  check(m.path_known == known);
  check((m.route == nullptr) == (want == nullptr));
  if (!m.route) return;
  check(m.route->method == want->method && m.route->path == want->path);
  check(m.params.size() == want_params.size());
  for (size_t i = 0; i < m.params.size(); ++i) {
    check(m.params[i] == want_params[i] && !m.params[i].empty() &&
          m.params[i].find('/') == std::string::npos);
  }
}

// ---- Parameters: the raw lookup that weighs a route against the parsed parameters. ----
void check_params(const kg::api::Request& r) {
  auto query_only = kg::parse_params(r.query, {});  // what public routes read
  auto both = kg::parse_params(r.query, r.body);    // what signed routes read
  if (query_only) {
    for (std::string_view name :
         {"limit", "symbol", "symbols", "timestamp", "signature", "recvWindow"}) {
      const auto raw = kg::api::raw_query_value(r.query, name);
      const auto parsed = query_only->get(name);
      if (raw) {
        auto decoded = kg::percent_decode(*raw, name);
        check(parsed && decoded && *decoded == *parsed);
      } else {
        // A name the raw lookup does not see carries no value the handler reads.
        check(!parsed || parsed->empty());
      }
    }
  }
  // The body never overrides the query: what the query gave, signed routes read too.
  if (query_only && both) {
    for (const auto& [k, v] : query_only->items()) check(both->get(k) == v);
  }
}

// ---- Addresses: X-Forwarded-For hops and allowlists. ----
const IpAllowlist& trusted() {
  // A deployment's http.trusted_proxies (server/app.cpp parse_trusted_proxies).
  static const IpAllowlist list =
      *IpAllowlist::parse_list("10.0.0.0/8, 127.0.0.1, 192.168.0.0/16, ::1, fd00::/8");
  return list;
}

bool same_range(const IpRange& a, const IpRange& b) {
  return a.v4 == b.v4 && a.prefix == b.prefix && a.addr == b.addr;
}

void check_address(std::string_view text) {
  auto range = IpRange::parse(text);
  if (range) {
    // It prints as text that reads back as the same range.
    auto again = IpRange::parse(range->to_string());
    check(again && same_range(*again, *range));
    check(range->prefix >= 0 && range->prefix <= (range->v4 ? 32 : 128));
  }
  const bool single =
      range && range->prefix == (range->v4 ? 32 : 128) && text.find('/') == std::string_view::npos;
  // Allowed by a list: the list's ranges say so of the address the range parser reads. An address
  // the range parser refuses is allowed by no list (the fast IPv4 path must agree with it).
  const bool allowed = trusted().allows(text);
  bool contained = false;
  if (single) {
    for (const auto& r : trusted().ranges()) contained = contained || r.contains(*range);
  }
  check(allowed == contained);
  if (single) check(IpAllowlist(std::vector<IpRange>{*range}).allows(text));
}

void check_addresses(std::string_view header) {
  // Each hop, as client_ip (api/api.cpp) walks them.
  std::string_view rest = header;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view hop = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    while (!hop.empty() && hop.front() == ' ') hop.remove_prefix(1);
    while (!hop.empty() && hop.back() == ' ') hop.remove_suffix(1);
    if (!hop.empty()) check_address(hop);
  }
  // The whole value as an allowlist (the form keys and http.trusted_proxies are written in).
  std::string bad;
  if (auto list = IpAllowlist::parse_list(header, &bad)) {
    auto again = IpAllowlist::parse_list(list->to_list());
    check(again && again->ranges().size() == list->ranges().size());
    for (size_t i = 0; i < list->ranges().size(); ++i) {
      check(same_range(again->ranges()[i], list->ranges()[i]));
    }
    check(list->to_strings().size() == list->ranges().size());
  } else {
    check(!bad.empty() && header.find(bad) != std::string_view::npos);
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Limits& lim = (data[0] & 1) ? kSmallestLimits : kDefaultLimits;
  const size_t piece = 1 + (data[0] >> 1) % 64;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Outcome whole = read_request(bytes, 0, lim);
  const Outcome pieces = read_request(bytes, piece, lim);
  // Beast's header limit looks at what is buffered, so near the limit the pieces matter.
  const size_t start = std::min(bytes.find_first_not_of("\r\n"), bytes.size());
  const size_t eoh = bytes.find("\r\n\r\n", start);
  if (eoh != std::string_view::npos && eoh + 4 < lim.header) {
    check(whole.end == pieces.end);
    if (whole.request) check(same_request(*whole.request, *pieces.request));
  }
  if (!whole.request) return 0;
  const kg::api::Request& r = *whole.request;
  check(r.body.size() <= lim.body);
  for (const auto& [k, v] : r.headers) {
    check(std::none_of(k.begin(), k.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
  }
  check_params(r);
  check_route(r.method, r.path);
  for (const auto& [k, v] : r.headers) {
    if (k == "x-forwarded-for" || k == "x-real-ip") check_addresses(v);
  }
  return 0;
}
