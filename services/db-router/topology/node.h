// A PostgreSQL server the router knows: its address, its pools and the live
// signals routing reads from it.
#ifndef TASKGRES_DB_ROUTER_TOPOLOGY_NODE_H_
#define TASKGRES_DB_ROUTER_TOPOLOGY_NODE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "pg/pg_connect.h"
#include "pool/node_pool.h"
#include "pool/pool_settings.h"

namespace taskgres::router {

class JobSink;
class RouterMetrics;

class Node {
 public:
  Node(std::string name, ConnectTarget target, const PoolSettings& settings, JobSink& sink,
       RouterMetrics& metrics);
  ~Node();

  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // "ip:port" as dialled.
  const std::string& name() const { return name_; }
  const ConnectTarget& target() const { return target_; }

  // Read-only connections (replica reads, or reads falling back to the primary).
  NodePool& read_pool() { return *read_pool_; }
  // Read-write connections; used only while this node is the primary.
  NodePool& write_pool() { return *write_pool_; }

  // Jobs queued or running here.
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  void AddInFlight(int delta) { in_flight_.fetch_add(delta, std::memory_order_relaxed); }

  // Smoothed per-statement latency, for balancing.
  void RecordLatency(absl::Duration latency);
  double latency_us() const { return latency_us_.load(std::memory_order_relaxed); }

  // Highest WAL position known replayed here (primary: written). Only grows.
  void ObserveLsn(uint64_t lsn);
  uint64_t lsn() const { return lsn_.load(std::memory_order_acquire); }
  // Forgets the LSN (after the node changed timeline or role).
  void ResetLsn(uint64_t lsn) { lsn_.store(lsn, std::memory_order_release); }

  // True only while this node is the one primary; writes are fenced otherwise.
  bool writable() const { return writable_.load(std::memory_order_acquire); }
  void set_writable(bool writable) { writable_.store(writable, std::memory_order_release); }

  // A pool failed to reach the node: routing avoids it until a probe succeeds.
  void MarkSuspect() { suspect_.store(true, std::memory_order_release); }
  void ClearSuspect() { suspect_.store(false, std::memory_order_release); }
  bool suspect() const { return suspect_.load(std::memory_order_acquire); }

  // Stops both pools; queued jobs are rerouted.
  void Stop();

 private:
  const std::string name_;
  const ConnectTarget target_;
  std::atomic<int> in_flight_{0};
  std::atomic<double> latency_us_{500.0};
  std::atomic<uint64_t> lsn_{0};
  std::atomic<bool> writable_{false};
  std::atomic<bool> suspect_{false};
  std::unique_ptr<NodePool> read_pool_;
  std::unique_ptr<NodePool> write_pool_;
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_TOPOLOGY_NODE_H_
