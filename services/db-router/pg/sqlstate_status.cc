#include "pg/sqlstate_status.h"

#include "absl/strings/match.h"

namespace taskgres::router {

grpc::StatusCode StatusCodeForSqlState(absl::string_view state) {
  using grpc::StatusCode;
  if (state.size() != 5) return StatusCode::UNKNOWN;
  if (state == "23505") return StatusCode::ALREADY_EXISTS;
  if (state == "23503") return StatusCode::FAILED_PRECONDITION;  // the referenced row is missing
  if (state == "25006")
    return StatusCode::FAILED_PRECONDITION;  // a write in a read-only transaction
  if (state == "40001" || state == "40P01") return StatusCode::ABORTED;
  if (state == "57014") return StatusCode::DEADLINE_EXCEEDED;
  if (state == "42501") return StatusCode::PERMISSION_DENIED;
  if (state == "08P01") return StatusCode::INVALID_ARGUMENT;     // e.g. wrong parameter count
  if (state == "P0001") return StatusCode::FAILED_PRECONDITION;  // RAISE in a trigger or function
  const absl::string_view cls = state.substr(0, 2);
  if (cls == "22" || cls == "23" || cls == "42" || cls == "0A" || cls == "2B") {
    return StatusCode::INVALID_ARGUMENT;
  }
  if (cls == "08" || cls == "57") return StatusCode::UNAVAILABLE;  // connection lost, shutdown
  if (cls == "53") return StatusCode::RESOURCE_EXHAUSTED;
  if (cls == "40") return StatusCode::ABORTED;
  if (cls == "25") return StatusCode::FAILED_PRECONDITION;
  return StatusCode::INTERNAL;
}

bool IsRetryableReadError(absl::string_view state) {
  // 40001 on a standby: canceled by a recovery conflict. 57P0x: shutting down
  // or starting. 08xxx: connection problems. 53300: too many connections.
  // 08P01 is a protocol violation (e.g. a wrong parameter count): the same anywhere.
  return state == "40001" || absl::StartsWith(state, "57P") ||
         (absl::StartsWith(state, "08") && state != "08P01") || state == "53300";
}

}  // namespace taskgres::router
