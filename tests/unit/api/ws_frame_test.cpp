// WebSocket API frames: the id echoed as it came, the method, and every parameter's text exactly as
// written (numbers too: a signature covers them); arrays kept as compact JSON; bad frames refused.

#include "api/ws_frame.hpp"

#include <gtest/gtest.h>

namespace kg::api {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

TEST(WsFrame, KeepsEveryParameterAsWritten) {
  auto f = parse_ws_frame(
      R"({"id":"e2a85d9f","method":"order.place","params":{"symbol":"BTCUSDT","price":52000.00,"quantity":0.010,)"
      R"("timestamp":1645423376532,"flag":true,"symbols":["A","B\"C"],"nested":{"k":[1,2.50]}}})");
  ASSERT_TRUE(f.ok()) << f.error().msg;
  EXPECT_EQ(f->id, R"("e2a85d9f")");
  EXPECT_EQ(f->method, "order.place");
  EXPECT_EQ(f->params, (Params{{"symbol", "BTCUSDT"},
                               {"price", "52000.00"},
                               {"quantity", "0.010"},
                               {"timestamp", "1645423376532"},
                               {"flag", "true"},
                               {"symbols", R"(["A","B\"C"])"},
                               {"nested", R"({"k":[1,2.50]})"}}));
}

TEST(WsFrame, IdsOfEveryKindAndNoParams) {
  auto n = parse_ws_frame(R"({"method":"ping","id":7})");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->id, "7");
  EXPECT_TRUE(n->params.empty());
  auto none = parse_ws_frame(R"({"method":"time"})");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->id, "null");
}

TEST(WsFrame, RefusesWhatIsNotARequest) {
  EXPECT_EQ(parse_ws_frame("").error().code, -7006);
  EXPECT_EQ(parse_ws_frame("[1,2]").error().code, -7006);
  EXPECT_EQ(parse_ws_frame(R"({"id":1,"method":)").error().code, -7006);
  EXPECT_EQ(parse_ws_frame(R"({"id":1})").error().code, -1102);
  EXPECT_EQ(parse_ws_frame(R"({"id":1,"method":5})").error().code, -1102);
  EXPECT_EQ(parse_ws_frame(R"({"id":1,"method":"ping","params":[1]})").error().code, -1102);
  EXPECT_EQ(parse_ws_frame(R"({"id":1,"method":"ping","params":"x"})").error().code, -1102);
}

}  // namespace
}  // namespace kg::api
