#include "topology/lag_tracker.h"

#include "gtest/gtest.h"

namespace taskgres::router {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000);

TEST(LagTrackerTest, CaughtUpReplicaHasNoLagEvenWhenPrimaryIsIdle) {
  LagTracker tracker;
  tracker.RecordPrimaryLsn(kStart, 100);
  // Hours pass with no writes: a replica at 100 is not behind.
  tracker.RecordPrimaryLsn(kStart + absl::Hours(3), 100);
  EXPECT_EQ(tracker.LagSeconds(100, kStart + absl::Hours(3)), 0);
  EXPECT_EQ(tracker.LagSeconds(150, kStart + absl::Hours(3)), 0);
}

TEST(LagTrackerTest, LagIsTimeSinceThePrimaryMovedPastTheReplica) {
  LagTracker tracker;
  tracker.RecordPrimaryLsn(kStart, 100);
  tracker.RecordPrimaryLsn(kStart + absl::Seconds(1), 200);
  tracker.RecordPrimaryLsn(kStart + absl::Seconds(2), 300);
  const absl::Time now = kStart + absl::Seconds(5);
  EXPECT_DOUBLE_EQ(tracker.LagSeconds(100, now), 4.0);  // behind since 200 appeared at +1 s
  EXPECT_DOUBLE_EQ(tracker.LagSeconds(250, now), 3.0);  // behind since 300 appeared at +2 s
  EXPECT_DOUBLE_EQ(tracker.LagSeconds(50, now), 5.0);
  EXPECT_EQ(tracker.LagSeconds(300, now), 0);
  EXPECT_EQ(tracker.latest(), 300u);
}

TEST(LagTrackerTest, ForgetsSamplesOutsideTheWindowButKeepsTheNewest) {
  LagTracker tracker(absl::Seconds(10));
  tracker.RecordPrimaryLsn(kStart, 100);
  tracker.RecordPrimaryLsn(kStart + absl::Seconds(20), 200);
  // The sample at 100 fell out; a replica at 50 is behind at least since +20 s.
  EXPECT_DOUBLE_EQ(tracker.LagSeconds(50, kStart + absl::Seconds(21)), 1.0);
  EXPECT_EQ(tracker.LagSeconds(200, kStart + absl::Seconds(21)), 0);
}

}  // namespace
}  // namespace taskgres::router
