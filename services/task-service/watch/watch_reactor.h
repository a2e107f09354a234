// One WatchTasks stream, subscribed to the hub once the caller is known.
#ifndef TASKGRES_TASK_SERVICE_WATCH_WATCH_REACTOR_H_
#define TASKGRES_TASK_SERVICE_WATCH_WATCH_REACTOR_H_

#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "service_metrics.h"
#include "streaming/queued_write_reactor.h"
#include "watch/task_event_hub.h"

namespace taskgres::tasks {

class WatchReactor : public QueuedWriteReactor<v1::TaskEvent>, public TaskEventSubscriber {
 public:
  WatchReactor(grpc::CallbackServerContext* context, TaskEventHub& hub, size_t max_buffered,
               TaskServiceMetrics& metrics, StreamRegistry& streams)
      : QueuedWriteReactor(max_buffered, &streams),
        context_(context),
        hub_(hub),
        metrics_(metrics) {
    HoldWritesUntilMetadata();  // "active" goes before the first event
  }

  // Starts delivering `owner`'s changes ("*" = all), then sends initial
  // metadata `x-taskgres-watch: active`: a client that waits for it knows no
  // later change is missed. Ends the stream with UNAVAILABLE when the hub is
  // not listening; does nothing if the stream already ended.
  void Subscribe(const std::string& owner) {
    {
      absl::MutexLock lock(&subscription_mutex_);
      if (stopped_) return;
      std::optional<uint64_t> id = hub_.Subscribe(owner, this);
      if (id.has_value()) {
        subscription_ = *id;
        subscribed_ = true;
        metrics_.AddWatchSubscribers(1);
      }
    }
    // Outside the lock: finishing may run OnStop, which takes it.
    if (subscribed()) {
      SendInitialMetadata(context_, {{"x-taskgres-watch", "active"}});
    } else {
      FinishNow(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                             "task changes are not available right now; try again"));
    }
  }

  void Deliver(const std::shared_ptr<const v1::TaskEvent>& event) override { Push(event); }
  void Lost(const grpc::Status& status) override { FinishAfterQueued(status); }

 private:
  bool subscribed() {
    absl::MutexLock lock(&subscription_mutex_);
    return subscribed_;
  }

  void OnStop() override {
    absl::MutexLock lock(&subscription_mutex_);
    stopped_ = true;
    if (!subscribed_) return;
    hub_.Unsubscribe(subscription_);  // no Deliver after this
    metrics_.AddWatchSubscribers(-1);
  }

  grpc::CallbackServerContext* context_;
  TaskEventHub& hub_;
  TaskServiceMetrics& metrics_;
  absl::Mutex subscription_mutex_;
  bool stopped_ ABSL_GUARDED_BY(subscription_mutex_) = false;
  bool subscribed_ ABSL_GUARDED_BY(subscription_mutex_) = false;
  uint64_t subscription_ ABSL_GUARDED_BY(subscription_mutex_) = 0;
};

}  // namespace taskgres::tasks

#endif  // TASKGRES_TASK_SERVICE_WATCH_WATCH_REACTOR_H_
