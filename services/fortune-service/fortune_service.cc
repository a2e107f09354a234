#include "fortune_service.h"

#include "grpcutil/status.h"
#include "validation/text_rules.h"

namespace taskgres::fortune {

grpc::ServerWriteReactor<v1::Task>* FortuneServiceImpl::Generate(
    grpc::CallbackServerContext* context, const v1::GenerateRequest* request) {
  auto* reactor =
      new GenerateReactor(context, deps_, *request);  // deletes itself when the call is done
  grpc::Status problem = credential_.Check(*context);
  if (problem.ok()) problem = ToGrpcStatus(ValidateUsername(request->owner()));
  if (problem.ok() && request->interval_ms() != 0 && request->interval_ms() < 100) {
    problem = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                           "interval_ms must be at least 100 (0 = 5000)");
  }
  if (problem.ok() && request->max_count() < 0) {
    problem = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "max_count cannot be negative");
  }
  if (!problem.ok()) {
    reactor->FinishNow(problem);
    return reactor;
  }
  reactor->Begin();
  return reactor;
}

}  // namespace taskgres::fortune
