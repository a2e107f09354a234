// One caller's statement or transaction on its way to a database answer.
#ifndef TASKGRES_DB_ROUTER_POOL_JOB_H_
#define TASKGRES_DB_ROUTER_POOL_JOB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"
#include "router_metrics.h"
#include "taskgres/v1/db_router.pb.h"

namespace taskgres::router {

class Node;

enum class JobKind { kStatement, kTransaction };

// A plain carrier: the request and response belong to the gRPC call and stay
// valid until `Finish`. Exactly one queue or worker owns a Job at a time.
struct Job {
  using DoneCallback =
      absl::AnyInvocable<void(const grpc::Status& status, absl::string_view sqlstate)>;

  JobKind kind = JobKind::kStatement;
  const v1::ExecuteRequest* statement = nullptr;  // kStatement
  v1::ExecuteResponse* statement_response = nullptr;
  const v1::ExecuteTransactionRequest* transaction = nullptr;  // kTransaction
  v1::ExecuteTransactionResponse* transaction_response = nullptr;

  bool write = false;        // must run on the primary
  bool auto_intent = false;  // AUTO: a read-only error on a replica moves it to the primary
  uint64_t min_lsn = 0;
  uint32_t max_lag_ms = 0;
  absl::Time arrival = absl::Now();
  absl::Time deadline = absl::InfiniteFuture();
  std::function<bool()> is_cancelled;  // true once the caller has gone away
  DoneCallback on_done;
  RouterMetrics* metrics = nullptr;

  // Routing state.
  int attempts = 0;
  Route route = Route::kReplica;
  RouteReason reason = RouteReason::kRead;
  bool solo = false;  // run in a transaction of its own (after an ambiguous group failure)
  absl::InlinedVector<const Node*, 2> failed_nodes;
  absl::Time enqueued;
  absl::Time lsn_wait_until = absl::InfiniteFuture();
  Node* node = nullptr;  // the node whose in-flight count includes this job

  // Counts this job as in flight on `target` (releasing any previous node).
  void AssignNode(Node* target);
  void ReleaseNode();

  bool Expired(absl::Time now) const { return now >= deadline; }
  bool Cancelled() const { return is_cancelled && is_cancelled(); }

  // Answers the caller (once) and records the duration.
  void Finish(const grpc::Status& status, absl::string_view sqlstate = "");
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_POOL_JOB_H_
