#include "latency_stats.h"

#include <random>

#include "gtest/gtest.h"

namespace taskgres::bench {
namespace {

TEST(LatencyStatsTest, NearestRankPercentiles) {
  std::vector<uint32_t> samples;
  for (uint32_t i = 1; i <= 1000; ++i) samples.push_back(i);
  std::shuffle(samples.begin(), samples.end(), std::mt19937(7));
  const LatencySummary summary = Summarize(samples);
  EXPECT_EQ(summary.count, 1000u);
  EXPECT_EQ(summary.p50_us, 500);
  EXPECT_EQ(summary.p99_us, 990);
  EXPECT_EQ(summary.p999_us, 999);
  EXPECT_EQ(summary.max_us, 1000);
}

TEST(LatencyStatsTest, EmptyAndSingle) {
  std::vector<uint32_t> none;
  EXPECT_EQ(Summarize(none).count, 0u);
  std::vector<uint32_t> one = {42};
  EXPECT_EQ(Summarize(one).p999_us, 42);
}

}  // namespace
}  // namespace taskgres::bench
