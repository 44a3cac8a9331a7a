// The answer as bytes: what Beast's own parser (and so any HTTP client) reads back from them.

#include "net/http_response.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kg::net {
namespace {

namespace http = boost::beast::http;

http::response<http::string_body> parse(const std::string& bytes) {
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  boost::beast::error_code ec;
  const size_t used = parser.put(boost::asio::buffer(bytes), ec);
  EXPECT_FALSE(ec) << ec.message() << "\n" << bytes;
  EXPECT_EQ(used, bytes.size()) << bytes;
  EXPECT_TRUE(parser.is_done()) << bytes;
  return parser.release();
}

TEST(HttpResponseBytes, AnAnswerReadsBackWithItsStatusHeadersAndBody) {
  api::Response r;
  r.status = 400;
  r.body = R"({"code":-1022,"msg":"Signature for this request is not valid."})";
  r.headers = {{"X-MBX-USED-WEIGHT-1M", "21"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}};
  const auto res = parse(http_response_bytes(r, 11, true));
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(res.reason(), "Bad Request");
  EXPECT_EQ(res[http::field::content_type], "application/json");
  EXPECT_EQ(res["X-MBX-USED-WEIGHT-1M"], "21");
  std::vector<std::string> cookies;
  for (auto it = res.find(http::field::set_cookie); it != res.end() && it->name() == http::field::set_cookie; ++it) {
    cookies.emplace_back(it->value());
  }
  EXPECT_EQ(cookies, (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(res.body(), r.body);
  EXPECT_EQ(res[http::field::content_length], std::to_string(r.body.size()));
  EXPECT_TRUE(res.keep_alive());
}

TEST(HttpResponseBytes, KeepAliveAndCloseAsEachVersionSaysThem) {
  api::Response r;
  r.body = "{}";
  EXPECT_TRUE(parse(http_response_bytes(r, 11, true)).keep_alive());
  EXPECT_FALSE(parse(http_response_bytes(r, 11, false)).keep_alive());
  const auto old_kept = parse(http_response_bytes(r, 10, true));
  EXPECT_EQ(old_kept.version(), 10u);
  EXPECT_TRUE(old_kept.keep_alive());
  EXPECT_FALSE(parse(http_response_bytes(r, 10, false)).keep_alive());
}

TEST(HttpResponseBytes, AnEmptyBodyStillHasItsLengthAndNoContentHasNone) {
  api::Response empty;
  empty.content_type = "text/plain";
  const std::string bytes = http_response_bytes(empty, 11, true);
  EXPECT_NE(bytes.find("\r\nContent-Length: 0\r\n"), std::string::npos) << bytes;
  EXPECT_EQ(parse(bytes).body(), "");
  api::Response none;
  none.status = 204;
  none.body = "ignored";
  const std::string no_content = http_response_bytes(none, 11, true);
  EXPECT_EQ(no_content.find("Content-Length"), std::string::npos) << no_content;
  EXPECT_TRUE(no_content.ends_with("\r\n\r\n")) << no_content;
}

}  // namespace
}  // namespace kg::net
