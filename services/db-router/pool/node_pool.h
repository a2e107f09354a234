// One node's pool of pipelined connections of one kind (read-only or
// read-write): a bounded queue of jobs and the workers draining it.
#ifndef TASKGRES_DB_ROUTER_POOL_NODE_POOL_H_
#define TASKGRES_DB_ROUTER_POOL_NODE_POOL_H_

#include <deque>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "pool/job.h"
#include "pool/job_sink.h"
#include "pool/pool_settings.h"

namespace taskgres::router {

class ConnectionWorker;
class Node;
class RouterMetrics;

enum class PoolMode { kRead, kWrite };

class NodePool {
 public:
  NodePool(Node& node, PoolMode mode, PoolSettings settings, JobSink& sink, RouterMetrics& metrics);
  ~NodePool();

  // Queues a job and makes sure a connection will pick it up.
  // RESOURCE_EXHAUSTED (the job stays with the caller) when the queue is full.
  absl::Status Enqueue(std::unique_ptr<Job>& job);

  // Puts already-admitted jobs back at the front; never refused.
  void Requeue(std::vector<std::unique_ptr<Job>>& jobs);

  // Stops every worker and reroutes queued jobs. Idempotent.
  void Stop();

  // Reroutes every queued job (the node cannot be reached).
  void DrainQueue(RerouteCause cause, const grpc::Status& why);

  // Worker side: waits up to `wait` for jobs and takes up to max_batch.
  // Empty on timeout or once stopping.
  std::vector<std::unique_ptr<Job>> TakeBatch(absl::Duration wait);

  // Worker side: a worker with nothing to do for idle_timeout asks to leave;
  // true when it may (the pool keeps min_connections).
  bool RetireIfIdle();

  // Worker side: connection open/closed, for the gauges.
  void CountConnection(int delta);

  bool stopping() const;
  int open_connections() const;
  int busy_connections() const;
  size_t queued() const;

  Node& node() { return node_; }
  PoolMode mode() const { return mode_; }
  const PoolSettings& settings() const { return settings_; }
  JobSink& sink() { return sink_; }
  RouterMetrics& metrics() { return metrics_; }

 private:
  void SpawnWorkerLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // True when every live connection is in a round trip older than spawn_after.
  bool AllStuckLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  Node& node_;
  const PoolMode mode_;
  const PoolSettings settings_;
  JobSink& sink_;
  RouterMetrics& metrics_;

  mutable absl::Mutex mutex_;
  absl::CondVar work_available_;
  std::deque<std::unique_ptr<Job>> queue_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<ConnectionWorker>> workers_ ABSL_GUARDED_BY(mutex_);
  int live_workers_ ABSL_GUARDED_BY(mutex_) = 0;
  int waiting_workers_ ABSL_GUARDED_BY(mutex_) = 0;
  int open_connections_ ABSL_GUARDED_BY(mutex_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_POOL_NODE_POOL_H_
