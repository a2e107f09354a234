#include "routing/read_balancer.h"

#include <array>
#include <vector>

#include "gtest/gtest.h"

namespace taskgres::router {
namespace {

std::array<int, 2> Share(std::vector<ReadCandidate> candidates, int draws) {
  std::array<int, 2> picks{};
  for (int i = 0; i < draws; ++i) {
    const double u = (i + 0.5) / draws;  // evenly spread, deterministic
    ++picks[PickReplica(candidates, u)];
  }
  return picks;
}

TEST(ReadBalancerTest, EqualReplicasShareEvenly) {
  auto picks = Share({{0, 0, 300}, {1, 0, 300}}, 1000);
  EXPECT_EQ(picks[0], 500);
  EXPECT_EQ(picks[1], 500);
}

TEST(ReadBalancerTest, BusierReplicaGetsProportionallyLess) {
  // 3 in flight vs 0: weights 1/4 vs 1, so 20% vs 80%.
  auto picks = Share({{0, 3, 300}, {1, 0, 300}}, 1000);
  EXPECT_EQ(picks[0], 200);
  EXPECT_EQ(picks[1], 800);
}

TEST(ReadBalancerTest, SlowerReplicaGetsLessButNotNothing) {
  auto picks = Share({{0, 0, 2000}, {1, 0, 500}}, 1000);
  EXPECT_EQ(picks[0], 200);
  EXPECT_EQ(picks[1], 800);
}

TEST(ReadBalancerTest, NoiseBelowTheFloorDoesNotSkew) {
  auto picks = Share({{0, 0, 20}, {1, 0, 80}}, 1000);
  EXPECT_EQ(picks[0], 500);
}

TEST(ReadBalancerTest, EmptyAndSingle) {
  EXPECT_EQ(PickReplica({}, 0.5), -1);
  std::vector<ReadCandidate> one = {{7, 100, 1e6}};
  EXPECT_EQ(PickReplica(one, 0.99), 7);
}

TEST(ReadBalancerTest, RandomUnitStaysInRange) {
  for (int i = 0; i < 10000; ++i) {
    const double u = RandomUnit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

}  // namespace
}  // namespace taskgres::router
