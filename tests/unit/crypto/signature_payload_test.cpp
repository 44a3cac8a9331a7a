// Binance's published signed-request examples: the payload keygate computes from the raw query
// and body, signed with HMAC-SHA256, must give Binance's signatures.

#include <gtest/gtest.h>

#include <string>

#include "common/query.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

namespace kg {
namespace {

constexpr const char* kSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

std::string sign(std::string_view query, std::string_view body) {
  return crypto::to_hex(crypto::hmac_sha256(kSecret, signature_payload(query, body)));
}

TEST(BinanceSignatureVectors, QueryStringOnly) {
  EXPECT_EQ(sign("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&"
                 "recvWindow=5000&timestamp=1499827319559&signature=xxx",
                 ""),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

TEST(BinanceSignatureVectors, SignatureInTheMiddleOfTheQuery) {
  EXPECT_EQ(sign("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&signature=xxx&quantity=1&"
                 "price=0.1&recvWindow=5000&timestamp=1499827319559",
                 ""),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

TEST(BinanceSignatureVectors, BodyOnly) {
  EXPECT_EQ(sign("",
                 "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&"
                 "recvWindow=5000&timestamp=1499827319559&signature=xxx"),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

TEST(BinanceSignatureVectors, MixedQueryAndBody) {
  EXPECT_EQ(sign("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
                 "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"),
            "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77");
  EXPECT_EQ(sign("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&signature=xxx",
                 "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"),
            "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77");
}

TEST(BinanceSignatureVectors, NonAsciiPercentEncodedIsSignedAsReceived) {
  const std::string query =
      "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&"
      "timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
  EXPECT_EQ(sign(query, ""), "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3");
  EXPECT_EQ(sign(query + "&signature=e1353ec6", ""),
            "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3");
  // The parameters themselves are decoded.
  auto params = parse_params(query, "");
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(*params->get("symbol"),
            "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94\xEF\xBC\x95\xEF\xBC\x96");
}

}  // namespace
}  // namespace kg
