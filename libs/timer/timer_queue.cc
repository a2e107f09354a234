#include "timer/timer_queue.h"

#include <vector>

#include "absl/time/clock.h"

namespace taskgres {

TimerQueue::TimerQueue() {
  thread_ = std::thread([this] { Run(); });
}

TimerQueue::~TimerQueue() {
  {
    absl::MutexLock lock(&mutex_);
    stop_ = true;
  }
  thread_.join();
}

uint64_t TimerQueue::Schedule(absl::Time when, Callback callback) {
  absl::MutexLock lock(&mutex_);
  const uint64_t id = next_id_++;
  timers_.emplace(std::make_pair(when, id), std::move(callback));
  when_.emplace(id, when);
  ++changes_;
  return id;
}

void TimerQueue::Cancel(uint64_t id) {
  absl::MutexLock lock(&mutex_);
  auto it = when_.find(id);
  if (it == when_.end()) return;  // already ran
  auto timer = timers_.find({it->second, id});
  Callback callback = std::move(timer->second);
  timers_.erase(timer);
  when_.erase(it);
  // Re-queued to run now, flagged as cancelled, on the timer thread.
  timers_.emplace(std::make_pair(absl::InfinitePast(), id),
                  [callback = std::move(callback)](bool) mutable { callback(false); });
  ++changes_;
}

void TimerQueue::Run() {
  while (true) {
    std::vector<std::pair<Callback, bool>> due;
    {
      absl::MutexLock lock(&mutex_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return stop_ || (!timers_.empty() && timers_.begin()->first.first <= absl::Now());
      };
      while (!ready()) {
        const absl::Time next =
            timers_.empty() ? absl::InfiniteFuture() : timers_.begin()->first.first;
        // Wake at the next timer, or as soon as the set of timers changes.
        const uint64_t seen = changes_;
        auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
          return stop_ || changes_ != seen;
        };
        mutex_.AwaitWithDeadline(absl::Condition(&changed), next);
      }
      const absl::Time now = absl::Now();
      while (!timers_.empty() && (stop_ || timers_.begin()->first.first <= now)) {
        auto node = timers_.extract(timers_.begin());
        const bool fired = !stop_ && node.key().first != absl::InfinitePast();
        when_.erase(node.key().second);
        due.emplace_back(std::move(node.mapped()), fired);
      }
      if (stop_ && due.empty()) return;
    }
    for (auto& [callback, fired] : due) callback(fired);
  }
}

}  // namespace taskgres
