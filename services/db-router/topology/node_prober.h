// Asks every node, in parallel and within a time limit, what it is: primary
// or replica, read-only or not, and how far its WAL has got.
#ifndef TASKGRES_DB_ROUTER_TOPOLOGY_NODE_PROBER_H_
#define TASKGRES_DB_ROUTER_TOPOLOGY_NODE_PROBER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "pg/pg_connect.h"
#include "pg/pg_handles.h"

namespace taskgres::router {

struct ProbeResult {
  bool ok = false;
  std::string error;         // when !ok
  bool in_recovery = false;  // a replica
  bool read_only = false;    // default_transaction_read_only is on
  uint64_t lsn = 0;          // replayed (replica) or written (primary)
  absl::Duration rtt;
};

// Holds one probe connection to a node, kept open between rounds.
class NodeProber {
 public:
  explicit NodeProber(ConnectTarget target) : target_(std::move(target)) {}
  const ConnectTarget& target() const { return target_; }

 private:
  friend std::vector<ProbeResult> ProbeAll(const std::vector<NodeProber*>& probers,
                                           absl::Duration timeout);
  enum class State { kConnecting, kQuerying, kDone };

  void Begin(absl::Duration timeout, bool fresh_round);
  // Ends the round with an error, unless the connection was an old one that
  // may simply have been closed meanwhile: then it retries once on a new one.
  void Fail(std::string error);
  void Advance();  // after the socket became ready
  short Events() const;

  ConnectTarget target_;
  PgConnPtr conn_;
  State state_ = State::kDone;
  PostgresPollingStatusType connect_state_ = PGRES_POLLING_WRITING;
  bool flushing_ = false;
  bool reused_ = false;  // this round started on a connection from an earlier round
  absl::Duration timeout_;
  absl::Time sent_at_;
  ProbeResult result_;
};

// Probes all nodes at once; a node that does not answer within `timeout`
// gets a failed result and its connection is dropped.
std::vector<ProbeResult> ProbeAll(const std::vector<NodeProber*>& probers, absl::Duration timeout);

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_TOPOLOGY_NODE_PROBER_H_
