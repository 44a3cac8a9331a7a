#include "common/query.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace kg {
namespace {

using Items = std::vector<std::pair<std::string, std::string>>;

Items items_of(std::string_view query, std::string_view body) {
  auto params = parse_params(query, body);
  EXPECT_TRUE(params.ok()) << (params.ok() ? "" : params.error().msg);
  if (!params.ok()) return {};
  Items out;
  for (const auto& [k, v] : params->items()) out.emplace_back(k, v);
  return out;
}

TEST(ParseParams, QueryAndBodyAreMergedInOrder) {
  EXPECT_EQ(items_of("a=1&b=2", "c=3&d=4"),
            (Items{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}));
  EXPECT_EQ(items_of("", "c=3"), (Items{{"c", "3"}}));
  EXPECT_EQ(items_of("a=1", ""), (Items{{"a", "1"}}));
  EXPECT_EQ(items_of("", ""), Items{});
}

TEST(ParseParams, GetAndHas) {
  auto params = parse_params("symbol=BTCUSDT&side=BUY", "quantity=1");
  ASSERT_TRUE(params.ok());
  ASSERT_TRUE(params->get("symbol").has_value());
  EXPECT_EQ(*params->get("symbol"), "BTCUSDT");
  EXPECT_EQ(*params->get("quantity"), "1");
  EXPECT_TRUE(params->has("side"));
  EXPECT_FALSE(params->has("price"));
  EXPECT_FALSE(params->get("price").has_value());
  EXPECT_FALSE(params->get("SYMBOL").has_value());  // names are case-sensitive
}

TEST(ParseParams, QueryWinsOverBody) {
  EXPECT_EQ(items_of("a=1&b=2", "a=9&c=3"), (Items{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  auto params = parse_params("price=1", "price=2");
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(*params->get("price"), "1");
}

TEST(ParseParams, DuplicateWithinTheQueryIsRefused) {
  auto params = parse_params("a=1&b=2&a=3", "");
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.error().code, -1101);
  EXPECT_EQ(params.error().http, 400);
  EXPECT_EQ(params.error().msg, "Duplicate values for a parameter detected.");
}

TEST(ParseParams, DuplicateWithinTheBodyIsRefused) {
  auto params = parse_params("x=1", "a=1&a=1");
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.error().code, -1101);
}

TEST(ParseParams, DuplicateInTheBodyOfANameAlsoInTheQueryIsStillADuplicate) {
  auto params = parse_params("a=1", "a=2&a=3");
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.error().code, -1101);
}

TEST(ParseParams, DuplicatesAreFoundAfterDecoding) {
  auto params = parse_params("a=1&%61=2", "");
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.error().code, -1101);
}

TEST(ParseParams, PercentDecoding) {
  EXPECT_EQ(items_of("q=a+b&p=%2B&r=%2b1&s=%20", ""),
            (Items{{"q", "a b"}, {"p", "+"}, {"r", "+1"}, {"s", " "}}));
  EXPECT_EQ(items_of("", "euro=%E2%82%AC&amp=%26%3D"),
            (Items{{"euro", "\xE2\x82\xAC"}, {"amp", "&="}}));
  EXPECT_EQ(items_of("my%20key=v", ""), (Items{{"my key", "v"}}));
}

TEST(ParseParams, BadEscapesAreRefused) {
  for (const char* query : {"q=%4", "q=%zz", "q=%", "q=%4g", "q=%g4", "q=ab%"}) {
    auto params = parse_params(query, "");
    ASSERT_FALSE(params.ok()) << query;
    EXPECT_EQ(params.error().code, -1100) << query;
    EXPECT_EQ(params.error().http, 400) << query;
    EXPECT_EQ(params.error().msg,
              "Illegal characters found in parameter 'q'; legal range is 'percent-encoded bytes'.")
        << query;
  }
  auto in_body = parse_params("", "ok=1&q=%zz");
  ASSERT_FALSE(in_body.ok());
  EXPECT_EQ(in_body.error().code, -1100);
  auto in_name = parse_params("%zz=1", "");
  ASSERT_FALSE(in_name.ok());
  EXPECT_EQ(in_name.error().code, -1100);
}

TEST(ParseParams, EmptyPairsAreSkipped) {
  EXPECT_EQ(items_of("&&a=1&&b=2&", "&"), (Items{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(items_of("&", "&&"), Items{});
}

TEST(ParseParams, KeyWithoutEqualsHasAnEmptyValue) {
  EXPECT_EQ(items_of("flag&b=2", ""), (Items{{"flag", ""}, {"b", "2"}}));
  EXPECT_EQ(items_of("a=", ""), (Items{{"a", ""}}));
}

TEST(ParseParams, ValueMayContainEquals) {
  EXPECT_EQ(items_of("a=b=c", ""), (Items{{"a", "b=c"}}));
}

TEST(PercentDecode, DecodesAndNamesTheParameterOnError) {
  auto ok = percent_decode("a%2Fb+c", "x");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "a/b c");
  auto nul = percent_decode("%00", "x");
  ASSERT_TRUE(nul.ok());
  EXPECT_EQ(*nul, std::string(1, '\0'));
  auto bad = percent_decode("%G0", "symbol");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, -1100);
  EXPECT_NE(bad.error().msg.find("'symbol'"), std::string::npos) << bad.error().msg;
}

TEST(SignaturePayload, RemovesTheSignaturePairFromQueryAndBody) {
  EXPECT_EQ(signature_payload("a=1&signature=abc&b=2", ""), "a=1&b=2");
  EXPECT_EQ(signature_payload("signature=abc&a=1", ""), "a=1");
  EXPECT_EQ(signature_payload("a=1&signature=abc", ""), "a=1");
  EXPECT_EQ(signature_payload("a=1", "b=2&signature=abc"), "a=1b=2");
  EXPECT_EQ(signature_payload("signature=abc", ""), "");
  EXPECT_EQ(signature_payload("a=1&signature", ""), "a=1");
}

TEST(SignaturePayload, ConcatenatesWithoutSeparator) {
  EXPECT_EQ(signature_payload("a=1&b=2", "c=3"), "a=1&b=2c=3");
  EXPECT_EQ(signature_payload("", "c=3"), "c=3");
  EXPECT_EQ(signature_payload("a=1", ""), "a=1");
  EXPECT_EQ(signature_payload("", ""), "");
}

TEST(SignaturePayload, KeepsTheBytesAsReceived) {
  EXPECT_EQ(signature_payload("symbol=%41%42&x=a+b&signature=0", ""), "symbol=%41%42&x=a+b");
  // Only the pair named exactly "signature" goes.
  EXPECT_EQ(signature_payload("signatureX=1&xsignature=2&signature=3", ""),
            "signatureX=1&xsignature=2");
}

}  // namespace
}  // namespace kg

namespace kg {
namespace {

TEST(ParseParams, PlainValuesAreViewsOfTheRawQueryAndSurviveAMove) {
  const std::string query = "symbol=BTCUSDT&note=a%20b&side=BUY";
  auto parsed = parse_params(query, "");
  ASSERT_TRUE(parsed.ok());
  Params params = std::move(*parsed);  // views into the decoded buffer must survive the move
  auto symbol = params.get("symbol");
  ASSERT_TRUE(symbol.has_value());
  EXPECT_GE(symbol->data(), query.data());
  EXPECT_LT(symbol->data(), query.data() + query.size());  // no copy
  EXPECT_EQ(params.get("note"), "a b");                    // decoded into the Params' own buffer
  EXPECT_EQ(params.get("side"), "BUY");
}

}  // namespace
}  // namespace kg

namespace kg {
namespace {
TEST(PercentEncode, UnreservedByDefaultAndWhatTheCallerKeeps) {
  EXPECT_EQ(percent_encode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(percent_encode("bot:a/1 x@y"), "bot%3Aa%2F1%20x%40y");
  EXPECT_EQ(percent_encode("x@y", "-._~@"), "x@y");
  // encodeURIComponent's set.
  EXPECT_EQ(percent_encode("(a)!*'~", "-_.!~*'()"), "(a)!*'~");
  EXPECT_EQ(percent_encode("\xC3\xA9"), "%C3%A9");
  auto back = percent_decode(percent_encode("k=v&w"), "p");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "k=v&w");
}
}  // namespace
}  // namespace kg
