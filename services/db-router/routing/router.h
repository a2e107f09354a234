// Sends each job to the right node's pool: writes to the one primary, reads
// to a replica that is healthy, fresh enough and caught up with the caller's
// writes, else to the primary; and routes again after a node fails.
#ifndef TASKGRES_DB_ROUTER_ROUTING_ROUTER_H_
#define TASKGRES_DB_ROUTER_ROUTING_ROUTER_H_

#include <atomic>
#include <memory>

#include "absl/time/time.h"
#include "pool/job.h"
#include "pool/job_sink.h"
#include "router_metrics.h"
#include "topology/topology_monitor.h"

namespace taskgres::router {

struct RouterSettings {
  // Replicas further behind than this serve no reads (zero: no limit).
  absl::Duration max_replica_lag = absl::Seconds(10);
  // Attempts per job before its last error is returned.
  int max_attempts = 4;
};

class Router : public JobSink {
 public:
  Router(RouterSettings settings, RouterMetrics& metrics)
      : settings_(settings), metrics_(metrics) {}

  // Must be called once before Submit.
  void SetTopology(TopologyMonitor* monitor) { monitor_ = monitor; }

  // Routes a new job; it is answered through its on_done callback.
  void Submit(std::unique_ptr<Job> job);

  void Reroute(std::unique_ptr<Job> job, RerouteCause cause,
               const grpc::Status& last_error) override;

 private:
  void Dispatch(std::unique_ptr<Job> job, bool force_primary, RouteReason fallback_reason);
  void Enqueue(NodePool& pool, std::unique_ptr<Job> job, Route route, RouteReason reason);

  const RouterSettings settings_;
  RouterMetrics& metrics_;
  TopologyMonitor* monitor_ = nullptr;
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_ROUTING_ROUTER_H_
