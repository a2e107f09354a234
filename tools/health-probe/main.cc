// health-probe: asks a gRPC server's grpc.health.v1 service whether it is
// SERVING. Exit 0 when it is, 1 when not (or unreachable), 2 on bad usage.
//   health-probe 127.0.0.1:50051 [service] [timeout-ms]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: health-probe host:port [service] [timeout-ms]\n");
    return 2;
  }
  const std::string service = argc > 2 ? argv[2] : "";
  const long timeout_ms = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 1000;
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", argv[1], status.error_message().c_str());
    return 1;
  }
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    std::fprintf(
        stderr, "%s: %s\n", argv[1],
        grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status()).c_str());
    return 1;
  }
  return 0;
}
