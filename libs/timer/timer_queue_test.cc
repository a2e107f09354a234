#include "timer/timer_queue.h"

#include <atomic>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace taskgres {
namespace {

TEST(TimerQueueTest, RunsInTimeOrder) {
  TimerQueue timers;
  absl::Mutex mutex;
  std::vector<int> order;
  absl::Notification done;
  const absl::Time now = absl::Now();
  for (int i : {3, 1, 2}) {
    timers.Schedule(now + absl::Milliseconds(20 * i), [&, i](bool fired) {
      EXPECT_TRUE(fired);
      absl::MutexLock lock(&mutex);
      order.push_back(i);
      if (order.size() == 3) done.Notify();
    });
  }
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(TimerQueueTest, CancelledTimerRunsAtOnceWithFiredFalse) {
  TimerQueue timers;
  absl::Notification done;
  std::atomic<bool> fired{true};
  const uint64_t id = timers.Schedule(absl::Now() + absl::Hours(1), [&](bool f) {
    fired = f;
    done.Notify();
  });
  timers.Cancel(id);
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_FALSE(fired);
}

TEST(TimerQueueTest, PendingTimersAreCancelledOnDestruction) {
  std::atomic<int> cancelled{0};
  {
    TimerQueue timers;
    for (int i = 0; i < 5; ++i) {
      timers.Schedule(absl::Now() + absl::Hours(1), [&](bool f) { cancelled += f ? 0 : 1; });
    }
  }
  EXPECT_EQ(cancelled, 5);
}

}  // namespace
}  // namespace taskgres
