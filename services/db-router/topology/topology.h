// An immutable picture of the cluster, published by the monitor and read by
// every request without locking.
#ifndef TASKGRES_DB_ROUTER_TOPOLOGY_TOPOLOGY_H_
#define TASKGRES_DB_ROUTER_TOPOLOGY_TOPOLOGY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "topology/node.h"

namespace taskgres::router {

enum class NodeRole { kUnknown, kPrimary, kReplica };

const char* RoleName(NodeRole role);

struct NodeView {
  std::shared_ptr<Node> node;
  NodeRole role = NodeRole::kUnknown;
  bool healthy = false;
  uint64_t lsn = 0;
  uint64_t lag_bytes = 0;
  double lag_seconds = 0;
  absl::Duration probe_rtt;
  std::string problem;  // why unhealthy or fenced
};

struct Topology {
  std::vector<NodeView> nodes;
  int primary = -1;           // index into nodes of the one writable primary, or -1
  std::vector<int> replicas;  // indexes of healthy replicas
  uint64_t primary_changes = 0;
  std::string no_primary_reason;  // when primary == -1
  absl::Time probed_at;

  Node* primary_node() const { return primary < 0 ? nullptr : nodes[primary].node.get(); }
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_TOPOLOGY_TOPOLOGY_H_
