#include "generate_reactor.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"

namespace taskgres::fortune {
namespace {

constexpr int kDefaultIntervalMs = 5000;

// Insert unless this tick's row exists already (a retry after an ambiguous
// failure), and return the row either way.
constexpr char kInsertSql[] =
    "WITH inserted AS (INSERT INTO tasks (owner, description, source, request_id) "
    "VALUES ($1, $2, 'FORTUNE', $3) ON CONFLICT (owner, request_id) DO NOTHING RETURNING *) "
    "SELECT id, owner, description, done, version, (extract(epoch FROM create_time) * "
    "1000000)::bigint, "
    "(extract(epoch FROM update_time) * 1000000)::bigint FROM inserted UNION ALL "
    "SELECT id, owner, description, done, version, (extract(epoch FROM create_time) * "
    "1000000)::bigint, "
    "(extract(epoch FROM update_time) * 1000000)::bigint FROM tasks "
    "WHERE owner = $1 AND request_id = $3 AND NOT EXISTS (SELECT 1 FROM inserted)";

std::string RandomId() {
  unsigned char bytes[12];
  randombytes_buf(bytes, sizeof(bytes));
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

v1::Task ReadFortune(const v1::Row& row) {
  v1::Task task;
  task.set_id(IntAt(row, 0));
  task.set_owner(TextAt(row, 1));
  task.set_description(TextAt(row, 2));
  task.set_done(BoolAt(row, 3));
  task.set_source(v1::TASK_SOURCE_FORTUNE);
  task.set_version(IntAt(row, 4));
  *task.mutable_create_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(IntAt(row, 5));
  *task.mutable_update_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(IntAt(row, 6));
  return task;
}

bool Transient(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
         status.error_code() == grpc::StatusCode::ABORTED;
}

}  // namespace

GenerateReactor::GenerateReactor(grpc::CallbackServerContext* context, GeneratorDeps deps,
                                 const v1::GenerateRequest& request)
    : QueuedWriteReactor(16, &deps.streams),
      context_(context),
      deps_(deps),
      owner_(request.owner()),
      interval_(absl::Milliseconds(request.interval_ms() == 0 ? kDefaultIntervalMs
                                                              : request.interval_ms())),
      max_count_(request.max_count()),
      clear_previous_(!request.has_clear_previous() || request.clear_previous()),
      generator_id_(RandomId()) {}

void GenerateReactor::Begin() {
  if (finishing()) return;  // the server is shutting down (ended by the stream registry)
  const bool acquired = deps_.registry.TryAcquire(owner_);
  {
    absl::MutexLock lock(&mutex_);
    owns_slot_ = acquired;
  }
  if (!acquired) {
    FinishNow(grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                           absl::StrCat("a fortune generator is already running for '", owner_,
                                        "'; stop it before starting another")));
    return;
  }
  deps_.metrics.active->Increment();
  if (clear_previous_) {
    ClearPrevious();
  } else {
    start_ = absl::Now();
    ScheduleTick();
  }
}

void GenerateReactor::ClearPrevious() {
  Hold();
  deps_.db.Execute(
      Query("DELETE FROM tasks WHERE owner = $1 AND source = 'FORTUNE'", v1::INTENT_WRITE)
          .Text(owner_),
      [this](const grpc::Status& status, v1::ExecuteResponse& response) {
        if (status.ok()) {
          // False when the caller left meanwhile: then nothing more happens.
          if (SendInitialMetadata(context_, {{"x-taskgres-fortunes-cleared",
                                              std::to_string(response.rows_affected())}})) {
            start_ = absl::Now();
            ScheduleTick();
          }
        } else {
          FinishNow(grpc::Status(
              status.error_code(),
              absl::StrCat("could not clear the previous fortunes: ", status.error_message())));
        }
        Release();
      });
}

void GenerateReactor::At(absl::Time when, absl::AnyInvocable<void()> step) {
  absl::MutexLock lock(&mutex_);
  if (stopped_) return;
  Hold();
  timer_ = deps_.timers.Schedule(when, [this, step = std::move(step)](bool fired) mutable {
    if (fired && !finishing()) step();
    Release();
  });
}

void GenerateReactor::ScheduleTick() {
  // Fixed rate: tick k is due at start + k * interval, so lateness never accumulates.
  absl::Time due = start_ + interval_ * (ticks_ + 1);
  const absl::Time now = absl::Now();
  if (due < now - interval_) {
    // Far behind (e.g. after a failover): resume the rhythm instead of bursting.
    start_ = now - interval_ * ticks_;
    due = now;
  }
  At(due, [this, due] {
    deps_.metrics.lateness->Observe(std::max(0.0, absl::ToDoubleSeconds(absl::Now() - due)));
    Insert(1);
  });
}

void GenerateReactor::Insert(int attempt) {
  if (finishing()) return;
  Hold();
  const std::string& fortune =
      deps_.book.Pick(randombytes_random() | (uint64_t{randombytes_random()} << 32));
  deps_.db.Execute(
      Query(kInsertSql, v1::INTENT_WRITE)
          .Text(owner_)
          .Text(fortune)
          .Text(absl::StrCat("fortune:", generator_id_, ":", ticks_)),
      [this, attempt](const grpc::Status& status, v1::ExecuteResponse& response) {
        if (status.ok() && response.rows_size() == 1) {
          Inserted(ReadFortune(response.rows(0)));
        } else {
          Failed(status.ok() ? grpc::Status(grpc::StatusCode::ABORTED, "no row came back") : status,
                 attempt);
        }
        Release();
      });
}

void GenerateReactor::Inserted(const v1::Task& task) {
  ++ticks_;
  deps_.metrics.generated->Increment();
  if (!Push(task)) return;
  if (max_count_ > 0 && ticks_ >= max_count_) {
    FinishAfterQueued(grpc::Status::OK);
    return;
  }
  ScheduleTick();
}

void GenerateReactor::Failed(const grpc::Status& status, int attempt) {
  deps_.metrics.insert_failures->Increment();
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {  // foreign key: no such user
    FinishNow(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                           absl::StrCat("there is no user '", owner_, "'")));
    return;
  }
  if (Transient(status) && attempt < deps_.insert_attempts) {
    // The same tick again: its request id makes a second insert impossible.
    const absl::Duration pause =
        std::min(deps_.retry_pause * (1 << (attempt - 1)), absl::Seconds(1));
    At(absl::Now() + pause, [this, attempt] { Insert(attempt + 1); });
    return;
  }
  FinishAfterQueued(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 absl::StrCat("could not add a fortune after ", attempt,
                                              " attempts: ", status.error_message())));
}

void GenerateReactor::OnStop() {
  uint64_t timer = 0;
  bool owned = false;
  {
    absl::MutexLock lock(&mutex_);
    stopped_ = true;
    timer = timer_;
    owned = owns_slot_;
    owns_slot_ = false;
  }
  if (timer != 0) deps_.timers.Cancel(timer);  // its callback runs now, with fired=false
  if (owned) {
    deps_.registry.Release(owner_);
    deps_.metrics.active->Decrement();
  }
}

}  // namespace taskgres::fortune
