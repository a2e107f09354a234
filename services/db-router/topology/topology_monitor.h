// Discovers the cluster by itself: re-resolves the configured host names,
// probes every address, decides roles, tracks lag, fences writes unless
// exactly one node is primary, and publishes a Topology snapshot.
#ifndef TASKGRES_DB_ROUTER_TOPOLOGY_TOPOLOGY_MONITOR_H_
#define TASKGRES_DB_ROUTER_TOPOLOGY_TOPOLOGY_MONITOR_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "pg/pg_connect.h"
#include "topology/lag_tracker.h"
#include "topology/node_prober.h"
#include "topology/topology.h"

namespace taskgres::router {

class RouterMetrics;

struct HostSpec {
  std::string host;
  int port = 5432;
};

// Parses "host:port,host:port" (port defaults to 5432; IPv6 as [addr]:port).
absl::StatusOr<std::vector<HostSpec>> ParseHostList(absl::string_view list);

struct MonitorSettings {
  std::vector<HostSpec> hosts;
  // dbname, user, password, sslmode; host/port/hostaddr are filled per node.
  ConnectTarget credentials;
  absl::Duration probe_interval = absl::Milliseconds(500);
  absl::Duration probe_timeout = absl::Seconds(1);
  // Forget addresses gone from DNS for this long.
  absl::Duration forget_after = absl::Minutes(1);
  // A host name's addresses; the system resolver when empty (tests change
  // DNS under a running monitor with their own).
  std::function<absl::StatusOr<std::vector<std::string>>(const std::string& host)> resolve;
};

class TopologyMonitor {
 public:
  using NodeFactory = std::function<std::shared_ptr<Node>(std::string name, ConnectTarget target)>;

  TopologyMonitor(MonitorSettings settings, NodeFactory factory, RouterMetrics& metrics);
  ~TopologyMonitor();

  // Probes until some node answers (then keeps probing in the background), or
  // fails with UNAVAILABLE naming every host and its last error after `timeout`.
  absl::Status Start(absl::Duration timeout);

  // Stops probing and every node's pools.
  void Stop();

  // The latest snapshot (never null after Start).
  std::shared_ptr<const Topology> Current() const {
    return current_.load(std::memory_order_acquire);
  }

  // Asks for a probe round now (a pool saw a node fail).
  void RequestProbe();

 private:
  struct Tracked {
    std::shared_ptr<Node> node;
    std::unique_ptr<NodeProber> prober;
    std::string host;  // the name it was found under
    absl::Time last_resolved;
    bool in_dns = true;
    NodeRole last_role = NodeRole::kUnknown;
  };

  void Run();
  void ProbeRound();
  void Resolve();
  void Publish(const std::vector<Tracked*>& tracked, const std::vector<ProbeResult>& results);

  const MonitorSettings settings_;
  const NodeFactory factory_;
  RouterMetrics& metrics_;
  std::atomic<std::shared_ptr<const Topology>> current_;

  // Monitor thread only.
  std::map<std::string, Tracked> nodes_;  // by name (ip:port)
  std::set<std::string> unresolved_;      // host names whose last lookup failed
  LagTracker lag_;
  Node* last_primary_ = nullptr;
  uint64_t primary_changes_ = 0;
  std::string last_problem_log_;

  absl::Mutex mutex_;
  absl::CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  bool probe_requested_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_TOPOLOGY_TOPOLOGY_MONITOR_H_
