// Bootstrap shared by every service: gRPC server with health, reflection,
// metrics and optional TLS; graceful shutdown on SIGTERM/SIGINT.
#ifndef TASKGRES_LIBS_SERVER_SERVICE_SERVER_H_
#define TASKGRES_LIBS_SERVER_SERVICE_SERVER_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "metrics/grpc_server_metrics.h"
#include "metrics/metrics_endpoint.h"
#include "streaming/stream_registry.h"

namespace taskgres {

struct ServerOptions {
  std::string service_name;  // e.g. "db-router", used in logs
  std::string listen_address;
  std::string metrics_address;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  absl::Duration drain_timeout = absl::Seconds(3);
  int max_message_bytes = 16 << 20;
  // Protobuf names of the gRPC services served (health status and metrics).
  std::vector<std::string> grpc_services;

  // Reads the shared flags; empty addresses take the given defaults.
  static ServerOptions FromFlags(std::string service_name, std::string default_listen,
                                 std::string default_metrics);
};

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts
// later, so WaitForShutdownSignal can take them. Call first thing in main.
void BlockShutdownSignals();

// Prints one error line naming the problem and exits 1. For start-up errors.
[[noreturn]] void ExitWithStartupError(const absl::Status& status);

// Parses flags (env fallback), sets up logging. Call after BlockShutdownSignals.
void InitService(int argc, char** argv, const char* service_name, const char* usage);

class ServiceServer {
 public:
  // Starts the metrics endpoint. Errors name the address and the problem.
  static absl::StatusOr<std::unique_ptr<ServiceServer>> Create(ServerOptions options);

  ~ServiceServer();

  prometheus::Registry& metrics_registry() { return metrics_->registry(); }

  // Adds a service before Start(); it must outlive this server.
  void AddService(grpc::Service* service) { services_.push_back(service); }

  // Binds and starts serving. UNAVAILABLE when the port is taken; NOT_FOUND or
  // INVALID_ARGUMENT for unreadable or bad TLS files. Health starts NOT_SERVING.
  absl::Status Start();

  // Sets the health status of the whole server and each service.
  void SetServing(bool serving);

  // Long-lived streams register here so shutdown can end them promptly.
  StreamRegistry& streams() { return streams_; }

  // Port actually bound (after Start).
  int port() const { return port_; }

  // Blocks until SIGTERM or SIGINT, then stops accepting, reports NOT_SERVING,
  // lets in-flight calls finish within the drain timeout and cancels the rest.
  void WaitForShutdownSignal();

  // Shuts down as WaitForShutdownSignal does, without a signal.
  void Shutdown();

  // Use Create(); the tag keeps construction inside this class.
  struct PrivateTag {};
  ServiceServer(PrivateTag, ServerOptions options) : options_(std::move(options)) {}

 private:
  ServerOptions options_;
  std::unique_ptr<MetricsEndpoint> metrics_;
  std::unique_ptr<GrpcServerMetrics> grpc_metrics_;
  std::vector<grpc::Service*> services_;
  StreamRegistry streams_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
  absl::Notification shutdown_finished_;
  std::thread watchdog_;
};

}  // namespace taskgres

#endif  // TASKGRES_LIBS_SERVER_SERVICE_SERVER_H_
