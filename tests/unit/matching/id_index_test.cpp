#include "matching/id_index.hpp"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace kg::matching {
namespace {

TEST(IdIndex, FindsInsertsAndErases) {
  IdIndex index;
  EXPECT_EQ(index.find(5), -1);
  index.insert(5, 0);
  index.insert(6, 1);
  EXPECT_EQ(index.find(5), 0);
  EXPECT_EQ(index.find(6), 1);
  index.erase(5);
  EXPECT_EQ(index.find(5), -1);
  EXPECT_EQ(index.find(6), 1);
  EXPECT_EQ(index.size(), 1u);
}

// Random inserts and erases (clustered ids, so probe runs wrap and collide) against a std map.
TEST(IdIndex, AgreesWithAnUnorderedMap) {
  std::mt19937_64 rng(42);
  IdIndex index;
  std::unordered_map<int64_t, int32_t> model;
  for (int i = 0; i < 200'000; ++i) {
    const int64_t id = 1 + static_cast<int64_t>(rng() % 3000);
    auto it = model.find(id);
    if (it == model.end()) {
      index.insert(id, i);
      model[id] = i;
    } else if (rng() % 2 == 0) {
      index.erase(id);
      model.erase(it);
    }
    const int64_t probe = 1 + static_cast<int64_t>(rng() % 3000);
    auto m = model.find(probe);
    ASSERT_EQ(index.find(probe), m == model.end() ? -1 : m->second) << "step " << i;
  }
  ASSERT_EQ(index.size(), model.size());
  for (const auto& [id, v] : model) ASSERT_EQ(index.find(id), v);
}

}  // namespace
}  // namespace kg::matching
