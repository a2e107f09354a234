#include "pool/job.h"

#include "topology/node.h"

namespace taskgres::router {

void Job::AssignNode(Node* target) {
  if (target == node) return;
  ReleaseNode();
  node = target;
  if (node != nullptr) node->AddInFlight(1);
}

void Job::ReleaseNode() {
  if (node != nullptr) node->AddInFlight(-1);
  node = nullptr;
}

void Job::Finish(const grpc::Status& status, absl::string_view sqlstate) {
  ReleaseNode();
  if (metrics != nullptr)
    metrics->ObserveDuration(route, absl::ToDoubleSeconds(absl::Now() - arrival));
  if (on_done) {
    auto done = std::move(on_done);
    on_done = nullptr;
    done(status, sqlstate);
  }
}

}  // namespace taskgres::router
