// The FortuneService gRPC service: credential and input checks, then a
// GenerateReactor per stream.
#ifndef TASKGRES_FORTUNE_SERVICE_FORTUNE_SERVICE_H_
#define TASKGRES_FORTUNE_SERVICE_FORTUNE_SERVICE_H_

#include "auth/service_credential.h"
#include "generate_reactor.h"
#include "taskgres/v1/fortune_service.grpc.pb.h"

namespace taskgres::fortune {

class FortuneServiceImpl final : public v1::FortuneService::CallbackService {
 public:
  FortuneServiceImpl(GeneratorDeps deps, const ServiceCredential& credential)
      : deps_(deps), credential_(credential) {}

  grpc::ServerWriteReactor<v1::Task>* Generate(grpc::CallbackServerContext* context,
                                               const v1::GenerateRequest* request) override;

 private:
  GeneratorDeps deps_;
  const ServiceCredential& credential_;
};

}  // namespace taskgres::fortune

#endif  // TASKGRES_FORTUNE_SERVICE_FORTUNE_SERVICE_H_
