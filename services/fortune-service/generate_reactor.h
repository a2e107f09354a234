// One Generate stream: optionally clears the owner's old fortunes, then on a
// fixed schedule inserts a random fortune through db-router and streams it.
#ifndef TASKGRES_FORTUNE_SERVICE_GENERATE_REACTOR_H_
#define TASKGRES_FORTUNE_SERVICE_GENERATE_REACTOR_H_

#include <cstdint>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dbclient/db_client.h"
#include "fortune_book.h"
#include "fortune_metrics.h"
#include "generator_registry.h"
#include "streaming/queued_write_reactor.h"
#include "streaming/stream_registry.h"
#include "taskgres/v1/fortune_service.pb.h"
#include "timer/timer_queue.h"

namespace taskgres::fortune {

struct GeneratorDeps {
  DbClient& db;
  const FortuneBook& book;
  GeneratorRegistry& registry;
  TimerQueue& timers;
  FortuneMetrics& metrics;
  StreamRegistry& streams;
  // Attempts per fortune when the database is unavailable, and the first
  // pause between them (doubling, at most 1 s).
  int insert_attempts = 5;
  absl::Duration retry_pause = absl::Milliseconds(250);
};

class GenerateReactor : public QueuedWriteReactor<v1::Task> {
 public:
  // `request` must be valid (checked by the service).
  GenerateReactor(grpc::CallbackServerContext* context, GeneratorDeps deps,
                  const v1::GenerateRequest& request);

  // Claims the owner's generator slot and begins. Call once, right after construction.
  void Begin();

 private:
  void OnStop() override;

  void ClearPrevious();
  void ScheduleTick();
  void Insert(int attempt);
  void Inserted(const v1::Task& task);
  void Failed(const grpc::Status& status, int attempt);
  // Runs `step` at `when` unless the stream ended, keeping the reactor alive meanwhile.
  void At(absl::Time when, absl::AnyInvocable<void()> step);

  grpc::CallbackServerContext* context_;
  GeneratorDeps deps_;
  const std::string owner_;
  const absl::Duration interval_;
  const int max_count_;
  const bool clear_previous_;
  const std::string generator_id_;  // makes each tick's insert idempotent across retries

  // Only one step (timer, insert) is in flight at a time, so these need no lock.
  absl::Time start_;
  int64_t ticks_ = 0;

  absl::Mutex mutex_;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
  bool owns_slot_ ABSL_GUARDED_BY(mutex_) = false;
  uint64_t timer_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace taskgres::fortune

#endif  // TASKGRES_FORTUNE_SERVICE_GENERATE_REACTOR_H_
