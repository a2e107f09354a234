// Conversions between absl::Status (our logic) and grpc::Status (the wire).
#ifndef TASKGRES_LIBS_GRPCUTIL_STATUS_H_
#define TASKGRES_LIBS_GRPCUTIL_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace taskgres {

// Same code (the numbering is shared) and message.
inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

inline absl::Status ToAbslStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace taskgres

#endif  // TASKGRES_LIBS_GRPCUTIL_STATUS_H_
