#include "topology/node.h"

namespace taskgres::router {

Node::Node(std::string name, ConnectTarget target, const PoolSettings& settings, JobSink& sink,
           RouterMetrics& metrics)
    : name_(std::move(name)), target_(std::move(target)) {
  read_pool_ = std::make_unique<NodePool>(*this, PoolMode::kRead, settings, sink, metrics);
  PoolSettings write_settings = settings;
  write_settings.min_connections = 0;  // opened only once this node is a primary
  write_pool_ = std::make_unique<NodePool>(*this, PoolMode::kWrite, write_settings, sink, metrics);
}

Node::~Node() { Stop(); }

void Node::Stop() {
  read_pool_->Stop();
  write_pool_->Stop();
}

void Node::RecordLatency(absl::Duration latency) {
  // Exponentially weighted; racing updates may drop a sample, which is harmless.
  const double sample = absl::ToDoubleMicroseconds(latency);
  const double old = latency_us_.load(std::memory_order_relaxed);
  latency_us_.store(old * 0.9 + sample * 0.1, std::memory_order_relaxed);
}

void Node::ObserveLsn(uint64_t lsn) {
  uint64_t current = lsn_.load(std::memory_order_relaxed);
  while (lsn > current && !lsn_.compare_exchange_weak(current, lsn, std::memory_order_release,
                                                      std::memory_order_relaxed)) {
  }
}

}  // namespace taskgres::router
