#include "pool/prepared_cache.h"

#include "gtest/gtest.h"

namespace taskgres::router {
namespace {

TEST(PreparedCacheTest, NamesEachStatementOnce) {
  PreparedCache cache(8);
  EXPECT_EQ(cache.Find("SELECT 1"), nullptr);
  const std::string first = *cache.Add("SELECT 1");
  const std::string second = *cache.Add("SELECT 2");
  EXPECT_NE(first, second);
  EXPECT_EQ(*cache.Find("SELECT 1"), first);
  EXPECT_EQ(*cache.Add("SELECT 1"), first);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(PreparedCacheTest, StopsGrowingAtCapacity) {
  PreparedCache cache(2);
  ASSERT_NE(cache.Add("a"), nullptr);
  ASSERT_NE(cache.Add("b"), nullptr);
  EXPECT_EQ(cache.Add("c"), nullptr);
  cache.Erase("a");
  EXPECT_NE(cache.Add("c"), nullptr);
}

TEST(PreparedCacheTest, NamesAreNotReusedAfterErase) {
  PreparedCache cache(4);
  const std::string a = *cache.Add("a");
  cache.Erase("a");
  EXPECT_NE(*cache.Add("b"), a);
}

}  // namespace
}  // namespace taskgres::router
