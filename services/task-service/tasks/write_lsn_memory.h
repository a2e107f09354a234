// Remembers each user's last write position, so reads by clients that do not
// send x-taskgres-lsn back still see their own writes (from this instance).
#ifndef TASKGRES_TASK_SERVICE_TASKS_WRITE_LSN_MEMORY_H_
#define TASKGRES_TASK_SERVICE_TASKS_WRITE_LSN_MEMORY_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace taskgres::tasks {

class WriteLsnMemory {
 public:
  // Keeps at most about `max_users` entries; when a shard fills up it starts
  // over (a forgotten user reads from a replica that may lag by milliseconds,
  // which the x-taskgres-lsn metadata still covers).
  explicit WriteLsnMemory(size_t max_users = 100'000) : max_per_shard_(max_users / kShards + 1) {}

  void Remember(const std::string& username, uint64_t lsn);
  // 0 when unknown.
  uint64_t Get(const std::string& username) const;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable absl::Mutex mutex;
    absl::flat_hash_map<std::string, uint64_t> lsn ABSL_GUARDED_BY(mutex);
  };
  Shard& ShardFor(const std::string& username) const;

  const size_t max_per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace taskgres::tasks

#endif  // TASKGRES_TASK_SERVICE_TASKS_WRITE_LSN_MEMORY_H_
