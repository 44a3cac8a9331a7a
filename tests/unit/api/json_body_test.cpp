// Answers written as text must still be JSON that parses back to what was meant.

#include "api/json_body.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <string>

namespace kg::api {
namespace {

std::string as_json(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(AppendJsonString, PlainTextIsQuotedAsIs) {
  EXPECT_EQ(as_json("BTC"), R"("BTC")");
  EXPECT_EQ(as_json(""), R"("")");
}

TEST(AppendJsonString, AnythingJsonMustEscapeParsesBackToItself) {
  for (std::string s : {std::string("a\"b"), std::string("back\\slash"), std::string("new\nline"),
                        std::string("nul\0byte", 8), std::string("tab\t"), std::string("\x7f"), std::string("ü€")}) {
    const std::string text = as_json(s);
    const auto v = boost::json::parse(text);
    ASSERT_TRUE(v.is_string()) << text;
    EXPECT_EQ(std::string(v.as_string()), s) << text;
  }
}

}  // namespace
}  // namespace kg::api
