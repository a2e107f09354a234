#include "pool/node_pool.h"

#include "absl/strings/str_cat.h"
#include "pool/connection_worker.h"
#include "router_metrics.h"
#include "topology/node.h"

namespace taskgres::router {

NodePool::NodePool(Node& node, PoolMode mode, PoolSettings settings, JobSink& sink,
                   RouterMetrics& metrics)
    : node_(node), mode_(mode), settings_(settings), sink_(sink), metrics_(metrics) {}

NodePool::~NodePool() { Stop(); }

absl::Status NodePool::Enqueue(std::unique_ptr<Job>& job) {
  absl::MutexLock lock(&mutex_);
  if (stopping_)
    return absl::UnavailableError(absl::StrCat("node ", node_.name(), " is going away"));
  if (queue_.size() >= settings_.max_queue) {
    return absl::ResourceExhaustedError(absl::StrCat("node ", node_.name(), " has ", queue_.size(),
                                                     " statements waiting; try again later"));
  }
  job->enqueued = absl::Now();
  queue_.push_back(std::move(job));
  // Reap workers that retired, then add one if nobody is free to take the job.
  std::erase_if(workers_, [](const std::unique_ptr<ConnectionWorker>& w) { return w->finished(); });
  if (waiting_workers_ > 0) {
    work_available_.Signal();
  } else if (live_workers_ < settings_.max_connections &&
             (live_workers_ == 0 || AllStuckLocked())) {
    SpawnWorkerLocked();
  }
  return absl::OkStatus();
}

bool NodePool::AllStuckLocked() const {
  const absl::Time now = absl::Now();
  for (const auto& worker : workers_) {
    if (!worker->finished() && worker->busy_for(now) < settings_.spawn_after) return false;
  }
  return true;
}

void NodePool::SpawnWorkerLocked() {
  ++live_workers_;
  workers_.push_back(std::make_unique<ConnectionWorker>(*this));
  workers_.back()->Start();
}

void NodePool::Requeue(std::vector<std::unique_ptr<Job>>& jobs) {
  if (jobs.empty()) return;
  absl::MutexLock lock(&mutex_);
  for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) queue_.push_front(std::move(*it));
  jobs.clear();
  if (waiting_workers_ > 0) work_available_.Signal();
  if (live_workers_ == 0 && !stopping_) SpawnWorkerLocked();
}

std::vector<std::unique_ptr<Job>> NodePool::TakeBatch(absl::Duration wait) {
  std::vector<std::unique_ptr<Job>> batch;
  absl::MutexLock lock(&mutex_);
  if (queue_.empty() && !stopping_ && wait > absl::ZeroDuration()) {
    ++waiting_workers_;
    const absl::Time until = absl::Now() + wait;
    while (queue_.empty() && !stopping_) {
      if (work_available_.WaitWithDeadline(&mutex_, until)) break;
    }
    --waiting_workers_;
  }
  if (stopping_) return batch;
  const absl::Time now = absl::Now();
  while (!queue_.empty() && batch.size() < static_cast<size_t>(settings_.max_batch)) {
    metrics_.ObservePoolWait(absl::ToDoubleSeconds(now - queue_.front()->enqueued));
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  // Leave the rest to another waiting worker rather than to our next round trip.
  if (!queue_.empty() && waiting_workers_ > 0) work_available_.Signal();
  return batch;
}

bool NodePool::RetireIfIdle() {
  absl::MutexLock lock(&mutex_);
  if (stopping_ || (live_workers_ > settings_.min_connections && queue_.empty())) {
    --live_workers_;
    return true;
  }
  return false;
}

void NodePool::CountConnection(int delta) {
  absl::MutexLock lock(&mutex_);
  open_connections_ += delta;
}

void NodePool::DrainQueue(RerouteCause cause, const grpc::Status& why) {
  std::deque<std::unique_ptr<Job>> drained;
  {
    absl::MutexLock lock(&mutex_);
    drained.swap(queue_);
  }
  for (auto& job : drained) sink_.Reroute(std::move(job), cause, why);
}

void NodePool::Stop() {
  std::vector<std::unique_ptr<ConnectionWorker>> workers;
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    work_available_.SignalAll();
    workers.swap(workers_);
  }
  workers.clear();  // joins each worker
  DrainQueue(RerouteCause::kNodeFailed,
             grpc::Status(grpc::StatusCode::UNAVAILABLE, "the router is shutting down"));
}

bool NodePool::stopping() const {
  absl::MutexLock lock(&mutex_);
  return stopping_;
}

int NodePool::open_connections() const {
  absl::MutexLock lock(&mutex_);
  return open_connections_;
}

int NodePool::busy_connections() const {
  absl::MutexLock lock(&mutex_);
  return std::max(0, std::min(open_connections_, live_workers_ - waiting_workers_));
}

size_t NodePool::queued() const {
  absl::MutexLock lock(&mutex_);
  return queue_.size();
}

}  // namespace taskgres::router
