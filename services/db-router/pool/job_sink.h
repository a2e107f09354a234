// Where a pool sends jobs it cannot finish on its own node.
#ifndef TASKGRES_DB_ROUTER_POOL_JOB_SINK_H_
#define TASKGRES_DB_ROUTER_POOL_JOB_SINK_H_

#include <memory>

#include "grpcpp/support/status.h"
#include "pool/job.h"

namespace taskgres::router {

enum class RerouteCause {
  kNodeFailed,       // connection refused or lost before the job could have had effects
  kRetryableError,   // a transient error (e.g. a recovery conflict on a replica)
  kReadOnlyReplica,  // AUTO statement turned out to write
  kMinLsnTimeout,    // the replica did not catch up with min_lsn in time
  kNotPrimary,       // the node stopped being the primary before the write was sent
};

class JobSink {
 public:
  virtual ~JobSink() = default;
  // Routes the job again (or finishes it with `last_error` when it cannot).
  virtual void Reroute(std::unique_ptr<Job> job, RerouteCause cause,
                       const grpc::Status& last_error) = 0;
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_POOL_JOB_SINK_H_
