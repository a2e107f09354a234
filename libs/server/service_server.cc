#include "server/service_server.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "flags/env_flags.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "logging/json_log.h"
#include "server/server_flags.h"

namespace taskgres {
namespace {

absl::StatusOr<std::string> ReadPemFile(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " file ", path));
  std::ostringstream content;
  content << in.rdbuf();
  if (content.str().find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, " file ", path, " is not PEM"));
  }
  return content.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(
    const ServerOptions& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls-client-ca-file needs --tls-cert-file and --tls-key-file");
    }
    return grpc::InsecureServerCredentials();
  }
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert-file and --tls-key-file must be given together");
  }
  auto cert = ReadPemFile(options.tls_cert_file, "TLS certificate");
  if (!cert.ok()) return cert.status();
  auto key = ReadPemFile(options.tls_key_file, "TLS key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!options.tls_client_ca_file.empty()) {
    auto ca = ReadPemFile(options.tls_client_ca_file, "TLS client CA");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

log::Level ParseLevel(const std::string& name) {
  if (name == "debug") return log::Level::kDebug;
  if (name == "warning") return log::Level::kWarning;
  if (name == "error") return log::Level::kError;
  return log::Level::kInfo;
}

}  // namespace

ServerOptions ServerOptions::FromFlags(std::string service_name, std::string default_listen,
                                       std::string default_metrics) {
  ServerOptions options;
  options.service_name = std::move(service_name);
  options.listen_address = absl::GetFlag(FLAGS_listen);
  if (options.listen_address.empty()) options.listen_address = std::move(default_listen);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_listen);
  if (options.metrics_address.empty()) options.metrics_address = std::move(default_metrics);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  return options;
}

void BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A client vanishing mid-write must not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

void ExitWithStartupError(const absl::Status& status) {
  log::Error(absl::StrCat("cannot start: ", status.message()));
  std::exit(1);
}

void InitService(int argc, char** argv, const char* service_name, const char* usage) {
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles, a
  // debugging aid that costs a graph lookup per lock on the hot path.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  log::SetService(service_name);
  ParseFlagsOrExit(argc, argv, usage);
  log::SetMinLevel(ParseLevel(absl::GetFlag(FLAGS_log_level)));
}

absl::StatusOr<std::unique_ptr<ServiceServer>> ServiceServer::Create(ServerOptions options) {
  auto server = std::make_unique<ServiceServer>(PrivateTag{}, std::move(options));
  auto metrics = MetricsEndpoint::Start(server->options_.metrics_address);
  if (!metrics.ok()) return metrics.status();
  server->metrics_ = std::move(*metrics);
  std::vector<std::string> known = server->options_.grpc_services;
  known.push_back("grpc.health.v1.Health");
  server->grpc_metrics_ = std::make_unique<GrpcServerMetrics>(server->metrics_->registry(), known);
  return server;
}

ServiceServer::~ServiceServer() {
  Shutdown();
  if (watchdog_.joinable()) watchdog_.join();
}

absl::Status ServiceServer::Start() {
  auto credentials = MakeCredentials(options_);
  if (!credentials.ok()) return credentials.status();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Linux gRPC sets SO_REUSEPORT by default, which would let a second process
  // share a taken port silently; a taken port must be an error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  // Channelz (per-call counters and timestamps for a debug service we do not
  // expose) cost ~5% of router-read throughput at 16 clients.
  builder.AddChannelArgument(GRPC_ARG_ENABLE_CHANNELZ, 0);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.AddListeningPort(options_.listen_address, *credentials, &port_);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(grpc_metrics_->MakeInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen_address,
                                               " (port in use or bad address)"));
  }
  SetServing(false);
  log::Info("listening", {{"grpc", options_.listen_address},
                          {"metrics", options_.metrics_address},
                          {"tls", !options_.tls_cert_file.empty()}});
  return absl::OkStatus();
}

void ServiceServer::SetServing(bool serving) {
  if (server_ == nullptr) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus("", serving);
  for (const std::string& name : options_.grpc_services) health->SetServingStatus(name, serving);
}

void ServiceServer::WaitForShutdownSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  log::Info("shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
  Shutdown();
}

void ServiceServer::Shutdown() {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  // If draining ever hangs, stop anyway rather than outlive the orchestrator's grace period.
  const absl::Duration hard_limit = options_.drain_timeout + absl::Milliseconds(1500);
  watchdog_ = std::thread([this, hard_limit] {
    if (!shutdown_finished_.WaitForNotificationWithTimeout(hard_limit)) {
      log::Error("shutdown did not finish in time; exiting");
      _exit(1);
    }
  });
  SetServing(false);
  // Streams never end by themselves: end them now rather than at the deadline.
  streams_.CloseAll(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down; reconnect"));
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->Shutdown();
  }
  // Let in-flight calls finish (bounded), then shut down with a short grace.
  // gRPC's own Shutdown(deadline) would also wait out the deadline for idle
  // client connections, which never close by themselves.
  const absl::Time drain_until = absl::Now() + options_.drain_timeout;
  while (grpc_metrics_->in_flight() > 0 && absl::Now() < drain_until)
    absl::SleepFor(absl::Milliseconds(5));
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  server_->Wait();
  shutdown_finished_.Notify();
  log::Info("stopped");
}

}  // namespace taskgres
