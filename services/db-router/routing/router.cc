#include "routing/router.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "routing/read_balancer.h"

namespace taskgres::router {

void Router::Submit(std::unique_ptr<Job> job) {
  job->metrics = &metrics_;
  Dispatch(std::move(job), false, RouteReason::kNoReplica);
}

void Router::Enqueue(NodePool& pool, std::unique_ptr<Job> job, Route route, RouteReason reason) {
  job->route = route;
  job->reason = reason;
  job->AssignNode(&pool.node());
  metrics_.CountQuery(route, reason);
  absl::Status queued = pool.Enqueue(job);
  if (!queued.ok()) {
    job->Finish(
        grpc::Status(static_cast<grpc::StatusCode>(queued.code()), std::string(queued.message())));
  }
}

void Router::Dispatch(std::unique_ptr<Job> job, bool force_primary, RouteReason fallback_reason) {
  std::shared_ptr<const Topology> topology = monitor_->Current();
  Node* primary = topology->primary_node();
  if (primary != nullptr && primary->suspect()) primary = nullptr;
  const bool retry = job->attempts > 0;

  if (job->write) {
    if (primary == nullptr) {
      job->Finish(grpc::Status(
          grpc::StatusCode::UNAVAILABLE,
          absl::StrCat("no primary to write to: ", topology->no_primary_reason.empty()
                                                       ? "the primary is unreachable"
                                                       : topology->no_primary_reason)));
      return;
    }
    Enqueue(primary->write_pool(), std::move(job), Route::kPrimary,
            retry ? RouteReason::kRetry : RouteReason::kWrite);
    return;
  }

  if (!force_primary) {
    std::vector<ReadCandidate> fresh;
    std::vector<ReadCandidate> caught_up;
    bool lagging = false;
    for (int index : topology->replicas) {
      const NodeView& view = topology->nodes[index];
      Node* node = view.node.get();
      if (node->suspect() || std::find(job->failed_nodes.begin(), job->failed_nodes.end(), node) !=
                                 job->failed_nodes.end()) {
        continue;
      }
      // Without a primary, lag is measured against its last known position and
      // only grows: the router's own limit then yields to serving reads at all.
      // A caller's explicit max_lag_ms always holds.
      const bool too_far =
          (primary != nullptr && settings_.max_replica_lag > absl::ZeroDuration() &&
           view.lag_seconds > absl::ToDoubleSeconds(settings_.max_replica_lag)) ||
          (job->max_lag_ms > 0 && view.lag_seconds * 1000.0 > job->max_lag_ms);
      if (too_far) {
        lagging = true;
        continue;
      }
      const ReadCandidate candidate{index, node->in_flight(), node->latency_us()};
      fresh.push_back(candidate);
      if (job->min_lsn <= node->lsn()) caught_up.push_back(candidate);
    }
    // Prefer replicas known to have the caller's write; otherwise pick one and
    // let its worker wait briefly for it to catch up.
    const std::vector<ReadCandidate>& pool = caught_up.empty() ? fresh : caught_up;
    const int chosen = PickReplica(pool, RandomUnit());
    if (chosen >= 0) {
      Enqueue(topology->nodes[chosen].node->read_pool(), std::move(job), Route::kReplica,
              retry ? RouteReason::kRetry : RouteReason::kRead);
      return;
    }
    fallback_reason = lagging ? RouteReason::kLagFallback : RouteReason::kNoReplica;
  }

  if (primary == nullptr) {
    job->Finish(
        grpc::Status(grpc::StatusCode::UNAVAILABLE,
                     "no database node can serve this read: no usable replica and no primary"));
    return;
  }
  Enqueue(primary->read_pool(), std::move(job), Route::kPrimary, fallback_reason);
}

void Router::Reroute(std::unique_ptr<Job> job, RerouteCause cause, const grpc::Status& last_error) {
  Node* failed = job->node;
  job->ReleaseNode();
  ++job->attempts;
  if (job->attempts >= settings_.max_attempts) {
    job->Finish(last_error);
    return;
  }
  switch (cause) {
    case RerouteCause::kNodeFailed:
    case RerouteCause::kRetryableError:
      if (failed != nullptr) job->failed_nodes.push_back(failed);
      if (failed != nullptr) monitor_->RequestProbe();
      Dispatch(std::move(job), false, RouteReason::kRetry);
      return;
    case RerouteCause::kReadOnlyReplica:
      job->write = true;  // an AUTO statement that turned out to write
      Dispatch(std::move(job), false, RouteReason::kWrite);
      return;
    case RerouteCause::kMinLsnTimeout:
      Dispatch(std::move(job), true, RouteReason::kMinLsnFallback);
      return;
    case RerouteCause::kNotPrimary:
      monitor_->RequestProbe();
      Dispatch(std::move(job), false, RouteReason::kRetry);
      return;
  }
}

}  // namespace taskgres::router
