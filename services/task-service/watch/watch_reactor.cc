#include "watch/watch_reactor.h"

#include <optional>
#include <utility>

#include "absl/time/clock.h"

namespace taskgres::tasks {

WatchReactor::WatchReactor(grpc::CallbackServerContext* context, TaskEventHub& hub,
                           size_t max_buffered, TaskServiceMetrics& metrics,
                           StreamRegistry& streams, TimerQueue& timers)
    : QueuedWriteReactor(max_buffered, &streams),
      context_(context),
      hub_(hub),
      metrics_(metrics),
      timers_(timers) {
  HoldWritesUntilMetadata();  // "active" goes before the first event
}

void WatchReactor::Subscribe(const std::string& owner, absl::Duration recheck_every,
                             Recheck recheck) {
  {
    absl::MutexLock lock(&subscription_mutex_);
    if (stopped_) return;
    recheck_every_ = recheck_every;
    recheck_ = std::move(recheck);
    std::optional<uint64_t> id = hub_.Subscribe(owner, this);
    if (id.has_value()) {
      subscription_ = *id;
      subscribed_ = true;
      metrics_.AddWatchSubscribers(1);
    }
  }
  // Outside the lock: finishing may run OnStop, which takes it.
  if (!subscribed()) {
    FinishNow(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                           "task changes are not available right now; try again"));
    return;
  }
  SendInitialMetadata(context_, {{"x-taskgres-watch", "active"}});
  ScheduleRecheck();
}

bool WatchReactor::subscribed() {
  absl::MutexLock lock(&subscription_mutex_);
  return subscribed_;
}

void WatchReactor::ScheduleRecheck() {
  absl::MutexLock lock(&subscription_mutex_);
  if (stopped_) return;
  Hold();  // released by the timer's callback, fired or cancelled
  timer_ = timers_.Schedule(absl::Now() + recheck_every_, [this](bool fired) {
    if (fired && !finishing()) RunRecheck();
    Release();
  });
}

void WatchReactor::RunRecheck() {
  Hold();
  recheck_([this](const grpc::Status& verdict) {
    if (verdict.ok()) {
      ScheduleRecheck();
    } else {
      FinishNow(verdict);
    }
    Release();
  });
}

void WatchReactor::OnStop() {
  uint64_t timer = 0;
  {
    absl::MutexLock lock(&subscription_mutex_);
    stopped_ = true;
    timer = timer_;
    if (subscribed_) {
      hub_.Unsubscribe(subscription_);  // no Deliver after this
      metrics_.AddWatchSubscribers(-1);
    }
  }
  if (timer != 0) timers_.Cancel(timer);  // its callback runs with fired=false
}

}  // namespace taskgres::tasks
