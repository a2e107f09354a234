// A few threads for CPU-heavy work (password hashing), so gRPC's threads never
// block on it. The queue is bounded: past it, work is refused, not buffered.
#ifndef TASKGRES_TASK_SERVICE_AUTH_CPU_POOL_H_
#define TASKGRES_TASK_SERVICE_AUTH_CPU_POOL_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace taskgres::auth {

class CpuPool {
 public:
  CpuPool(int threads, size_t max_queued);
  ~CpuPool();  // finishes queued work, then joins

  // False when the queue is full (the caller should answer RESOURCE_EXHAUSTED).
  bool Submit(absl::AnyInvocable<void()> work);

 private:
  void Run();

  const size_t max_queued_;
  absl::Mutex mutex_;
  std::deque<absl::AnyInvocable<void()>> queue_ ABSL_GUARDED_BY(mutex_);
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace taskgres::auth

#endif  // TASKGRES_TASK_SERVICE_AUTH_CPU_POOL_H_
