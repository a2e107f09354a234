// gRPC server metrics in go-grpc-prometheus naming, recorded by an interceptor.
#ifndef TASKGRES_LIBS_METRICS_GRPC_SERVER_METRICS_H_
#define TASKGRES_LIBS_METRICS_GRPC_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace taskgres {

// grpc_server_started_total, grpc_server_handled_total (by grpc_code),
// grpc_server_msg_received_total, grpc_server_msg_sent_total and
// grpc_server_handling_seconds, labelled grpc_type/grpc_service/grpc_method.
class GrpcServerMetrics {
 public:
  // The series of one method.
  struct MethodSeries {
    prometheus::Counter* started = nullptr;
    std::array<prometheus::Counter*, 17> handled{};  // indexed by grpc::StatusCode
    prometheus::Counter* received = nullptr;
    prometheus::Counter* sent = nullptr;
    prometheus::Histogram* seconds = nullptr;
  };

  // Registers the families and creates every series of the named services
  // (protobuf full names, e.g. "taskgres.v1.DbRouter") up front, so each
  // method shows zeros before its first call and the hot path never locks.
  GrpcServerMetrics(prometheus::Registry& registry, const std::vector<std::string>& services);

  // An interceptor factory for ServerBuilder; it must not outlive this object.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeInterceptorFactory();

  // Calls started and not yet finished (including health checks).
  int in_flight() const { return in_flight_.load(std::memory_order_acquire); }
  void AddInFlight(int delta) { in_flight_.fetch_add(delta, std::memory_order_acq_rel); }

  // Series for a full method name ("/pkg.Service/Method"); created on first
  // use for methods not known up front.
  MethodSeries& SeriesFor(const char* method, grpc::experimental::ServerRpcInfo::Type type);

 private:
  MethodSeries CreateSeries(const std::string& service, const std::string& method,
                            const std::string& type);

  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Family<prometheus::Histogram>& seconds_;
  // Filled in the constructor, then read-only: no lock on the hot path.
  absl::flat_hash_map<std::string, MethodSeries> known_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, std::unique_ptr<MethodSeries>> late_ ABSL_GUARDED_BY(mutex_);
  std::atomic<int> in_flight_{0};
};

}  // namespace taskgres

#endif  // TASKGRES_LIBS_METRICS_GRPC_SERVER_METRICS_H_
