// The db-router's domain metrics (taskgres_router_*).
#ifndef TASKGRES_DB_ROUTER_ROUTER_METRICS_H_
#define TASKGRES_DB_ROUTER_ROUTER_METRICS_H_

#include <array>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace taskgres::router {

enum class Route { kPrimary = 0, kReplica = 1 };

// Why a statement went where it went (the `reason` label).
enum class RouteReason {
  kWrite = 0,
  kRead,
  kMinLsnFallback,  // no replica caught up with min_lsn in time
  kLagFallback,     // every replica lags beyond the limit
  kNoReplica,       // no healthy replica
  kRetry,           // ran again after a node failed
  kCount,
};

class RouterMetrics {
 public:
  explicit RouterMetrics(prometheus::Registry& registry);

  // taskgres_router_queries_total{route,reason}: counted once per attempt that
  // is sent to a node.
  void CountQuery(Route route, RouteReason reason) {
    queries_[static_cast<int>(route)][static_cast<int>(reason)]->Increment();
  }
  // taskgres_router_query_duration_seconds{route}: from arrival to answer.
  void ObserveDuration(Route route, double seconds) {
    duration_[static_cast<int>(route)]->Observe(seconds);
  }
  // taskgres_router_pool_wait_seconds: queued time before being sent.
  void ObservePoolWait(double seconds) { pool_wait_->Observe(seconds); }
  void CountPrimaryChange() { primary_changes_->Increment(); }
  // taskgres_router_pipeline_batch_size: statements per pipeline round trip.
  void ObserveBatch(double statements) { batch_size_->Observe(statements); }

  // Per-node gauges; series of a node whose role changed are replaced.
  void SetNode(const std::string& node, const std::string& role, bool up, double lag_bytes,
               double lag_seconds);
  void SetPoolConnections(const std::string& node, int idle, int busy);
  void RemoveNode(const std::string& node);

 private:
  struct NodeSeries {
    std::string role;
    prometheus::Gauge* up = nullptr;
    prometheus::Gauge* lag_bytes = nullptr;
    prometheus::Gauge* lag_seconds = nullptr;
    prometheus::Gauge* idle = nullptr;
    prometheus::Gauge* busy = nullptr;
  };
  NodeSeries& SeriesFor(const std::string& node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  std::array<std::array<prometheus::Counter*, static_cast<int>(RouteReason::kCount)>, 2> queries_{};
  std::array<prometheus::Histogram*, 2> duration_{};
  prometheus::Histogram* pool_wait_ = nullptr;
  prometheus::Counter* primary_changes_ = nullptr;
  prometheus::Histogram* batch_size_ = nullptr;
  prometheus::Family<prometheus::Gauge>& node_up_;
  prometheus::Family<prometheus::Gauge>& lag_bytes_;
  prometheus::Family<prometheus::Gauge>& lag_seconds_;
  prometheus::Family<prometheus::Gauge>& pool_connections_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, NodeSeries> nodes_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_ROUTER_METRICS_H_
