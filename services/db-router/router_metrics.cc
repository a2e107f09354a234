#include "router_metrics.h"

namespace taskgres::router {
namespace {

const prometheus::Histogram::BucketBoundaries& QueryBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
  return buckets;
}

}  // namespace

RouterMetrics::RouterMetrics(prometheus::Registry& registry)
    : node_up_(prometheus::BuildGauge()
                   .Name("taskgres_router_node_up")
                   .Help("1 when the node answered the last probe, by the role it reported.")
                   .Register(registry)),
      lag_bytes_(prometheus::BuildGauge()
                     .Name("taskgres_router_replication_lag_bytes")
                     .Help("WAL bytes the node has not replayed yet compared with the primary.")
                     .Register(registry)),
      lag_seconds_(prometheus::BuildGauge()
                       .Name("taskgres_router_replication_lag_seconds")
                       .Help("How long the node has been behind the primary (0 when caught up).")
                       .Register(registry)),
      pool_connections_(prometheus::BuildGauge()
                            .Name("taskgres_router_pool_connections")
                            .Help("Open connections to the node, by state (idle or busy).")
                            .Register(registry)) {
  auto& queries = prometheus::BuildCounter()
                      .Name("taskgres_router_queries_total")
                      .Help("Statements sent to a node, by route and the reason for the route.")
                      .Register(registry);
  auto& duration = prometheus::BuildHistogram()
                       .Name("taskgres_router_query_duration_seconds")
                       .Help("Time from a statement's arrival to its answer, by route.")
                       .Register(registry);
  const char* routes[] = {"primary", "replica"};
  const char* reasons[] = {"write",        "read",       "min_lsn_fallback",
                           "lag_fallback", "no_replica", "retry"};
  for (int r = 0; r < 2; ++r) {
    for (int why = 0; why < static_cast<int>(RouteReason::kCount); ++why) {
      queries_[r][why] = &queries.Add({{"route", routes[r]}, {"reason", reasons[why]}});
    }
    duration_[r] = &duration.Add({{"route", routes[r]}}, QueryBuckets());
  }
  pool_wait_ = &prometheus::BuildHistogram()
                    .Name("taskgres_router_pool_wait_seconds")
                    .Help("Time statements waited in a node's queue before being sent.")
                    .Register(registry)
                    .Add({}, QueryBuckets());
  batch_size_ = &prometheus::BuildHistogram()
                     .Name("taskgres_router_pipeline_batch_size")
                     .Help("Statements sent in one pipeline round trip.")
                     .Register(registry)
                     .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128});
  primary_changes_ = &prometheus::BuildCounter()
                          .Name("taskgres_router_primary_changes_total")
                          .Help("Times a different node became the primary.")
                          .Register(registry)
                          .Add({});
}

RouterMetrics::NodeSeries& RouterMetrics::SeriesFor(const std::string& node) {
  NodeSeries& series = nodes_[node];
  if (series.lag_bytes == nullptr) {
    series.lag_bytes = &lag_bytes_.Add({{"node", node}});
    series.lag_seconds = &lag_seconds_.Add({{"node", node}});
    series.idle = &pool_connections_.Add({{"node", node}, {"state", "idle"}});
    series.busy = &pool_connections_.Add({{"node", node}, {"state", "busy"}});
  }
  return series;
}

void RouterMetrics::SetNode(const std::string& node, const std::string& role, bool up,
                            double lag_bytes, double lag_seconds) {
  absl::MutexLock lock(&mutex_);
  NodeSeries& series = SeriesFor(node);
  if (series.up == nullptr || series.role != role) {
    if (series.up != nullptr) node_up_.Remove(series.up);
    series.role = role;
    series.up = &node_up_.Add({{"node", node}, {"role", role}});
  }
  series.up->Set(up ? 1 : 0);
  series.lag_bytes->Set(lag_bytes);
  series.lag_seconds->Set(lag_seconds);
}

void RouterMetrics::SetPoolConnections(const std::string& node, int idle, int busy) {
  absl::MutexLock lock(&mutex_);
  NodeSeries& series = SeriesFor(node);
  series.idle->Set(idle);
  series.busy->Set(busy);
}

void RouterMetrics::RemoveNode(const std::string& node) {
  absl::MutexLock lock(&mutex_);
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return;
  if (it->second.up != nullptr) node_up_.Remove(it->second.up);
  lag_bytes_.Remove(it->second.lag_bytes);
  lag_seconds_.Remove(it->second.lag_seconds);
  pool_connections_.Remove(it->second.idle);
  pool_connections_.Remove(it->second.busy);
  nodes_.erase(it);
}

}  // namespace taskgres::router
