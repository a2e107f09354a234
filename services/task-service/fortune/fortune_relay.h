// TaskService.GenerateFortunes: relays FortuneService.Generate for one user.
// Cancelling either side ends the other.
#ifndef TASKGRES_TASK_SERVICE_FORTUNE_FORTUNE_RELAY_H_
#define TASKGRES_TASK_SERVICE_FORTUNE_FORTUNE_RELAY_H_

#include <memory>
#include <string>

#include "auth/service_credential.h"
#include "service_metrics.h"
#include "streaming/queued_write_reactor.h"
#include "taskgres/v1/fortune_service.grpc.pb.h"

namespace taskgres::tasks {

class FortuneRelay : public QueuedWriteReactor<v1::Task> {
 public:
  // `context` is the caller's call.
  FortuneRelay(grpc::CallbackServerContext* context, v1::FortuneService::Stub& fortunes,
               const ServiceCredential& credential, TaskServiceMetrics& metrics,
               StreamRegistry& streams);

  // Starts the upstream generator (unless the caller already left).
  void Begin(const v1::GenerateRequest& request);

 private:
  class Upstream;
  // Shared by the two directions; either may end first.
  struct Link;

  // Sends FortuneService's count of cleared fortunes as our initial metadata.
  void ForwardCleared(const std::string& count);
  void OnStop() override;

  grpc::CallbackServerContext* context_;
  v1::FortuneService::Stub& fortunes_;
  TaskServiceMetrics& metrics_;
  std::shared_ptr<Link> link_;
};

}  // namespace taskgres::tasks

#endif  // TASKGRES_TASK_SERVICE_FORTUNE_FORTUNE_RELAY_H_
