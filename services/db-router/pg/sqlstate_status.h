// Maps PostgreSQL SQLSTATE codes to gRPC status codes (the DbRouter contract).
#ifndef TASKGRES_DB_ROUTER_PG_SQLSTATE_STATUS_H_
#define TASKGRES_DB_ROUTER_PG_SQLSTATE_STATUS_H_

#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace taskgres::router {

// The gRPC code for a five-character SQLSTATE (see db_router.proto).
grpc::StatusCode StatusCodeForSqlState(absl::string_view sqlstate);

// Errors that mean the statement did not run because of a transient
// condition on that node, so a read may safely run again elsewhere.
bool IsRetryableReadError(absl::string_view sqlstate);

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_PG_SQLSTATE_STATUS_H_
