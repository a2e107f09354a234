#include "metrics/grpc_server_metrics.h"

#include <chrono>

#include "google/protobuf/descriptor.h"
#include "grpcpp/support/status.h"

namespace taskgres {
namespace {

using RpcType = grpc::experimental::ServerRpcInfo::Type;
using Hook = grpc::experimental::InterceptionHookPoints;

// go-grpc-prometheus spells codes as Go's codes.Code.String() does.
constexpr std::array<const char*, 17> kCodeNames = {
    "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
    "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
    "DataLoss", "Unauthenticated"};

const char* TypeName(RpcType type) {
  switch (type) {
    case RpcType::UNARY:
      return "unary";
    case RpcType::CLIENT_STREAMING:
      return "client_stream";
    case RpcType::SERVER_STREAMING:
      return "server_stream";
    case RpcType::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unary";
}

const char* TypeName(const google::protobuf::MethodDescriptor& method) {
  if (method.client_streaming() && method.server_streaming()) return "bidi_stream";
  if (method.client_streaming()) return "client_stream";
  if (method.server_streaming()) return "server_stream";
  return "unary";
}

// Buckets from 100 µs (a proxied point read) to 10 s.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return buckets;
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(GrpcServerMetrics& metrics, GrpcServerMetrics::MethodSeries& series)
      : metrics_(metrics), series_(series), start_(std::chrono::steady_clock::now()) {
    series_.started->Increment();
    metrics_.AddInFlight(1);
  }

  ~MetricsInterceptor() override {
    // A call torn down without sending a status was cancelled.
    if (!finished_) Finish(grpc::StatusCode::CANCELLED);
    metrics_.AddInFlight(-1);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(Hook::POST_RECV_MESSAGE)) series_.received->Increment();
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_MESSAGE)) series_.sent->Increment();
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS) && !finished_) {
      Finish(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Finish(grpc::StatusCode code) {
    finished_ = true;
    size_t index = static_cast<size_t>(code);
    if (index >= series_.handled.size()) index = static_cast<size_t>(grpc::StatusCode::UNKNOWN);
    series_.handled[index]->Increment();
    series_.seconds->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }

  GrpcServerMetrics& metrics_;
  GrpcServerMetrics::MethodSeries& series_;
  std::chrono::steady_clock::time_point start_;
  bool finished_ = false;
};

class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcServerMetrics& metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // gRPC takes ownership of the interceptor and deletes it when the call ends.
    return new MetricsInterceptor(metrics_, metrics_.SeriesFor(info->method(), info->type()));
  }

 private:
  GrpcServerMetrics& metrics_;
};

}  // namespace

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry,
                                     const std::vector<std::string>& services)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("Total number of RPCs started on the server.")
                   .Register(registry)),
      handled_(
          prometheus::BuildCounter()
              .Name("grpc_server_handled_total")
              .Help(
                  "Total number of RPCs completed on the server, regardless of success or failure.")
              .Register(registry)),
      received_(prometheus::BuildCounter()
                    .Name("grpc_server_msg_received_total")
                    .Help("Total number of RPC stream messages received on the server.")
                    .Register(registry)),
      sent_(prometheus::BuildCounter()
                .Name("grpc_server_msg_sent_total")
                .Help("Total number of gRPC stream messages sent by the server.")
                .Register(registry)),
      seconds_(prometheus::BuildHistogram()
                   .Name("grpc_server_handling_seconds")
                   .Help("Histogram of response latency (seconds) of gRPC that had been "
                         "application-level handled by the server.")
                   .Register(registry)) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& name : services) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(name);
    if (service == nullptr) continue;  // Not linked in; created lazily on first call.
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      known_.emplace("/" + name + "/" + method->name(),
                     CreateSeries(name, method->name(), TypeName(*method)));
    }
  }
}

GrpcServerMetrics::MethodSeries GrpcServerMetrics::CreateSeries(const std::string& service,
                                                                const std::string& method,
                                                                const std::string& type) {
  const std::map<std::string, std::string> labels = {
      {"grpc_type", type}, {"grpc_service", service}, {"grpc_method", method}};
  MethodSeries series;
  series.started = &started_.Add(labels);
  for (size_t code = 0; code < kCodeNames.size(); ++code) {
    auto with_code = labels;
    with_code.emplace("grpc_code", kCodeNames[code]);
    series.handled[code] = &handled_.Add(with_code);
  }
  series.received = &received_.Add(labels);
  series.sent = &sent_.Add(labels);
  series.seconds = &seconds_.Add(labels, LatencyBuckets());
  return series;
}

GrpcServerMetrics::MethodSeries& GrpcServerMetrics::SeriesFor(const char* method, RpcType type) {
  absl::string_view full(method == nullptr ? "" : method);
  if (auto it = known_.find(full); it != known_.end()) return it->second;
  absl::MutexLock lock(&mutex_);
  auto& slot = late_[full];
  if (slot == nullptr) {
    // "/pkg.Service/Method" -> service "pkg.Service", method "Method".
    absl::string_view trimmed = full.substr(full.empty() || full[0] != '/' ? 0 : 1);
    const size_t slash = trimmed.find('/');
    const std::string service(slash == absl::string_view::npos ? trimmed
                                                               : trimmed.substr(0, slash));
    const std::string name(slash == absl::string_view::npos ? "" : trimmed.substr(slash + 1));
    slot = std::make_unique<MethodSeries>(CreateSeries(service, name, TypeName(type)));
  }
  return *slot;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
GrpcServerMetrics::MakeInterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(*this);
}

}  // namespace taskgres
