// One WatchTasks stream, subscribed to the hub once the caller is known, and
// re-authorized while it lasts (an expired token or a lost admin role ends it).
#ifndef TASKGRES_TASK_SERVICE_WATCH_WATCH_REACTOR_H_
#define TASKGRES_TASK_SERVICE_WATCH_WATCH_REACTOR_H_

#include <cstdint>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service_metrics.h"
#include "streaming/queued_write_reactor.h"
#include "timer/timer_queue.h"
#include "watch/task_event_hub.h"

namespace taskgres::tasks {

class WatchReactor : public QueuedWriteReactor<v1::TaskEvent>, public TaskEventSubscriber {
 public:
  // Asks whether the caller may still watch; answers through the callback
  // (OK to go on, else the status that ends the stream). May run async.
  using Recheck = absl::AnyInvocable<void(absl::AnyInvocable<void(grpc::Status)>)>;

  WatchReactor(grpc::CallbackServerContext* context, TaskEventHub& hub, size_t max_buffered,
               TaskServiceMetrics& metrics, StreamRegistry& streams, TimerQueue& timers);

  // Starts delivering `owner`'s changes ("*" = all), then sends initial
  // metadata `x-taskgres-watch: active`: a client that waits for it knows no
  // later change is missed. Ends the stream with UNAVAILABLE when the hub is
  // not listening; does nothing if the stream already ended. While the stream
  // lasts, `recheck` runs every `recheck_every`.
  void Subscribe(const std::string& owner, absl::Duration recheck_every, Recheck recheck);

  void Deliver(const std::shared_ptr<const v1::TaskEvent>& event) override { Push(event); }
  void Lost(const grpc::Status& status) override { FinishAfterQueued(status); }

 private:
  void ScheduleRecheck();
  void RunRecheck();
  bool subscribed();
  void OnStop() override;

  grpc::CallbackServerContext* context_;
  TaskEventHub& hub_;
  TaskServiceMetrics& metrics_;
  TimerQueue& timers_;
  absl::Duration recheck_every_;
  Recheck recheck_;  // set once by Subscribe, then used by one timer at a time
  absl::Mutex subscription_mutex_;
  bool stopped_ ABSL_GUARDED_BY(subscription_mutex_) = false;
  bool subscribed_ ABSL_GUARDED_BY(subscription_mutex_) = false;
  uint64_t subscription_ ABSL_GUARDED_BY(subscription_mutex_) = 0;
  uint64_t timer_ ABSL_GUARDED_BY(subscription_mutex_) = 0;
};

}  // namespace taskgres::tasks

#endif  // TASKGRES_TASK_SERVICE_WATCH_WATCH_REACTOR_H_
