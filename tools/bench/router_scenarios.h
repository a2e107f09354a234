// Scenarios against db-router (gRPC, asynchronous client).
#ifndef TASKGRES_TOOLS_BENCH_ROUTER_SCENARIOS_H_
#define TASKGRES_TOOLS_BENCH_ROUTER_SCENARIOS_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/channel.h"
#include "load_driver.h"
#include "scenario.h"
#include "taskgres/v1/db_router.grpc.pb.h"

namespace taskgres::bench {

// Rows every read scenario selects from (primary key 1..kBenchRows).
inline constexpr int kBenchRows = 10'000;

// Creates and fills the bench tables through the router (idempotent) and
// waits until the replicas have them.
absl::Status PrepareBenchTables(const Targets& targets);

// A router client with the credential on every call.
class RouterCaller {
 public:
  explicit RouterCaller(const Targets& targets);
  // Runs `request`; `done(status, response)` on a gRPC thread.
  void Execute(const v1::ExecuteRequest& request,
               absl::AnyInvocable<void(const grpc::Status&, const v1::ExecuteResponse&)> done);
  void Topology(absl::AnyInvocable<void(const grpc::Status&)> done);

 private:
  std::string authorization_;
  std::unique_ptr<v1::DbRouter::Stub> stub_;
};

// router-ping: GetTopology, no database work: the cost of a gRPC round trip.
class RouterPing : public AsyncOp {
 public:
  explicit RouterPing(const Targets& targets) : caller_(targets) {}
  void Issue(int client, Done done) override;

 private:
  RouterCaller caller_;
};

// router-read: point select by primary key, intent READ.
class RouterRead : public AsyncOp {
 public:
  explicit RouterRead(const Targets& targets) : caller_(targets) {}
  void Issue(int client, Done done) override;

 private:
  RouterCaller caller_;
};

// A blocking client of its own (a thread per client), for comparison.
std::unique_ptr<BlockingClient> NewBlockingRouterReader(const Targets& targets);

// router-write: single-row insert on the primary.
class RouterWrite : public AsyncOp {
 public:
  explicit RouterWrite(const Targets& targets) : caller_(targets) {}
  void Issue(int client, Done done) override;

 private:
  RouterCaller caller_;
  std::atomic<uint64_t> sequence_{0};
};

// router-ryw: insert, then read it back with min_lsn = the insert's commit LSN.
class RouterReadYourWrites : public AsyncOp {
 public:
  explicit RouterReadYourWrites(const Targets& targets) : caller_(targets) {}
  void Issue(int client, Done done) override;
  // "replica 97.1%, stale 0" for the table.
  std::string Note() const;
  // "replica_share" (0-1) and "stale_reads" for the target check.
  std::map<std::string, double> Figures() const;

 private:
  RouterCaller caller_;
  std::atomic<uint64_t> reads_{0};
  std::atomic<uint64_t> from_replica_{0};
  std::atomic<uint64_t> stale_{0};
};

}  // namespace taskgres::bench

#endif  // TASKGRES_TOOLS_BENCH_ROUTER_SCENARIOS_H_
