// The HTTP /metrics endpoint every service exposes.
#ifndef TASKGRES_LIBS_METRICS_METRICS_ENDPOINT_H_
#define TASKGRES_LIBS_METRICS_METRICS_ENDPOINT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"

namespace taskgres {

// Serves one registry (plus process metrics) at http://<address>/metrics.
class MetricsEndpoint {
 public:
  // Binds `address` (host:port). UNAVAILABLE with a clear message when the
  // port is taken or the address is invalid.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& address);

  // Where services register their metric families.
  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }

  // The port actually bound (useful with port 0).
  int port() const;

  // Use Start(); the tag keeps construction inside this class.
  struct PrivateTag {};
  explicit MetricsEndpoint(PrivateTag) {}

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> process_metrics_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace taskgres

#endif  // TASKGRES_LIBS_METRICS_METRICS_ENDPOINT_H_
