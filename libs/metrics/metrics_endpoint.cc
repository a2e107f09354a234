#include "metrics/metrics_endpoint.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "metrics/process_metrics.h"

namespace taskgres {

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address) {
  auto endpoint = std::make_unique<MetricsEndpoint>(PrivateTag{});
  endpoint->registry_ = std::make_shared<prometheus::Registry>();
  endpoint->process_metrics_ = std::make_shared<ProcessMetrics>();
  try {
    // One HTTP thread is plenty for a scrape every few seconds.
    endpoint->exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address,
                                               " (port in use or bad address): ", e.what()));
  }
  endpoint->exposer_->RegisterCollectable(endpoint->registry_);
  endpoint->exposer_->RegisterCollectable(endpoint->process_metrics_);
  return endpoint;
}

int MetricsEndpoint::port() const {
  std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace taskgres
