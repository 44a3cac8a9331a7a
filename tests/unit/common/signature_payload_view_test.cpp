// signature_payload(query, body, storage): the same bytes as the two-argument version, and no
// copy in the common case (the signature is the query's last and only signature pair, no body).

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/query.hpp"

namespace kg {
namespace {

struct Case {
  const char* name;
  std::string query;
  std::string body;
  bool view_into_query;  // expected to return a view of `query` without copying
};

std::vector<Case> cases() {
  return {
      {"signature last", "symbol=BTCUSDT&timestamp=1&signature=abc", "", true},
      {"signature last, empty value", "a=1&signature=", "", true},
      {"signature last, value contains signature", "a=1&signature=signature", "", true},
      {"signature last, value contains &signature=-like text", "a=1&signature=x%26signature%3Dy", "", true},
      {"empty pair before signature", "a=1&&signature=abc", "", true},
      {"only a leading & and the signature", "&signature=abc", "", true},
      {"signature first", "signature=abc&a=1&b=2", "", false},
      {"signature only", "signature=abc", "", false},
      {"signature middle", "a=1&signature=abc&b=2", "", false},
      {"signature twice", "a=1&signature=x&b=2&signature=y", "", false},
      {"signature first and last", "signature=x&a=1&signature=y", "", false},
      {"signature in body", "a=1&b=2", "c=3&signature=abc", false},
      {"signature in query, body present", "a=1&signature=abc", "c=3", false},
      {"signature in both", "a=1&signature=x", "c=3&signature=y", false},
      {"absent", "a=1&b=2", "", false},
      {"absent, body only", "", "a=1&b=2", false},
      {"both empty", "", "", false},
      {"signature without =", "a=1&signature", "", false},
      {"signature without = in the middle", "a=1&signature&b=2", "", false},
      {"signature without = and a real one last", "a=1&signature&b=2&signature=abc", "", false},
      {"value containing signature before the pair", "note=signature&signature=abc", "", false},
      {"value containing signature= before the pair", "a=signature=1&signature=abc", "", false},
      {"key ending in signature", "mysignature=1&signature=abc", "", false},
      {"key starting with signature", "signatures=1&signature=abc", "", false},
      {"key starting with signature, last", "a=1&signatureX=abc", "", false},
      {"trailing &", "a=1&signature=abc&", "", false},
      {"upper-case SIGNATURE is an ordinary pair", "a=1&SIGNATURE=abc", "", false},
      {"Binance example", "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
                          "timestamp=1499827319559&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b28"
                          "38bd6b71", "", true},
  };
}

TEST(SignaturePayloadView, SameBytesAsTheTwoArgumentVersion) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    std::string storage = "untouched";
    const std::string_view view = signature_payload(c.query, c.body, storage);
    EXPECT_EQ(view, signature_payload(c.query, c.body)) << "query '" << c.query << "' body '" << c.body << "'";
  }
}

TEST(SignaturePayloadView, NoCopyWhenTheSignatureIsTheLastQueryPairAndThereIsNoBody) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    std::string storage = "untouched";
    const std::string_view view = signature_payload(c.query, c.body, storage);
    if (c.view_into_query) {
      EXPECT_EQ(view.data(), c.query.data());
      EXPECT_EQ(storage, "untouched");
      EXPECT_EQ(view, std::string_view(c.query).substr(0, c.query.rfind("&signature=")));
    } else {
      // Built in storage.
      EXPECT_EQ(view.data(), storage.data());
      EXPECT_EQ(view.size(), storage.size());
    }
  }
}

TEST(SignaturePayloadView, ExpectedPayloads) {
  std::string storage;
  EXPECT_EQ(signature_payload("a=1&b=2&signature=abc", "", storage), "a=1&b=2");
  EXPECT_EQ(signature_payload("signature=abc&a=1", "", storage), "a=1");
  EXPECT_EQ(signature_payload("a=1&signature=x&b=2&signature=y", "", storage), "a=1&b=2");
  EXPECT_EQ(signature_payload("a=1", "b=2&signature=abc", storage), "a=1b=2");
  EXPECT_EQ(signature_payload("a=1&signature=abc", "b=2", storage), "a=1b=2");
  EXPECT_EQ(signature_payload("note=signature&signature=abc", "", storage), "note=signature");
  EXPECT_EQ(signature_payload("a=1&signature", "", storage), "a=1");
  EXPECT_EQ(signature_payload("", "", storage), "");
}

TEST(SignaturePayloadView, StorageIsReusedAcrossCalls) {
  std::string storage;
  std::string_view first = signature_payload("signature=x&a=1", "", storage);
  EXPECT_EQ(first, "a=1");
  std::string_view second = signature_payload("signature=x&b=22", "", storage);
  EXPECT_EQ(second, "b=22");
  // A view result leaves earlier storage contents alone.
  std::string_view third = signature_payload("c=3&signature=x", "", storage);
  EXPECT_EQ(third, "c=3");
  EXPECT_EQ(storage, "b=22");
}

}  // namespace
}  // namespace kg
