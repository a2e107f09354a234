// One thread that runs callbacks at given times: timers for streams and
// delayed answers without a thread (or a blocked gRPC thread) per timer.
#ifndef TASKGRES_LIBS_TIMER_TIMER_QUEUE_H_
#define TASKGRES_LIBS_TIMER_TIMER_QUEUE_H_

#include <cstdint>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace taskgres {

class TimerQueue {
 public:
  // `fired` is true when the time came, false when cancelled or shutting down.
  using Callback = absl::AnyInvocable<void(bool fired)>;

  TimerQueue();
  // Runs every pending callback with fired=false, then stops the thread.
  ~TimerQueue();

  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs `callback` on the timer thread at `when` (at once if past). Returns
  // an id for Cancel. Callbacks must be quick: they delay later timers.
  uint64_t Schedule(absl::Time when, Callback callback);

  // If the timer has not fired yet, its callback runs soon with fired=false.
  void Cancel(uint64_t id);

 private:
  void Run();

  absl::Mutex mutex_;
  // Ordered by time, then id (ids grow, so ties keep scheduling order).
  std::map<std::pair<absl::Time, uint64_t>, Callback> timers_ ABSL_GUARDED_BY(mutex_);
  std::map<uint64_t, absl::Time> when_ ABSL_GUARDED_BY(mutex_);
  uint64_t next_id_ ABSL_GUARDED_BY(mutex_) = 1;
  uint64_t changes_ ABSL_GUARDED_BY(mutex_) = 0;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace taskgres

#endif  // TASKGRES_LIBS_TIMER_TIMER_QUEUE_H_
