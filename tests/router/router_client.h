// Test helper: a DbRouter client with the service credential, plus a private
// cluster and router process for a test suite.
#ifndef TASKGRES_TESTS_ROUTER_ROUTER_CLIENT_H_
#define TASKGRES_TESTS_ROUTER_ROUTER_CLIENT_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/local_cluster.h"
#include "support/service_process.h"
#include "taskgres/v1/db_router.grpc.pb.h"

namespace taskgres::testing {

using Param = std::optional<std::string>;  // nullopt = SQL NULL

class RouterClient {
 public:
  // `token` empty: calls carry no credential.
  RouterClient(const std::string& address, std::string token);

  grpc::Status Execute(const std::string& sql, const std::vector<Param>& params, v1::Intent intent,
                       v1::ExecuteResponse* response, uint64_t min_lsn = 0,
                       std::chrono::milliseconds deadline = std::chrono::seconds(10),
                       std::string* sqlstate = nullptr, uint32_t timeout_ms = 0);

  grpc::Status Transaction(
      const std::vector<std::pair<std::string, std::vector<Param>>>& statements,
      v1::ExecuteTransactionResponse* response, std::string* sqlstate = nullptr);

  grpc::Status Topology(v1::Topology* topology);

  v1::DbRouter::Stub& stub() { return *stub_; }
  // Adds the credential (if any) and a deadline.
  void Prepare(grpc::ClientContext& context, std::chrono::milliseconds deadline) const;

 private:
  std::string token_;
  std::unique_ptr<v1::DbRouter::Stub> stub_;
};

// A private cluster and a db-router in front of it.
struct RouterStack {
  std::unique_ptr<LocalCluster> cluster;
  std::string token;
  std::string token_file;
  int port = 0;
  int metrics_port = 0;
  std::unique_ptr<ServiceProcess> router;

  // Starts both; null (with a test failure) when either does not come up.
  static std::unique_ptr<RouterStack> Start(const std::vector<std::string>& extra_flags = {});
  // The same on a cluster already started (null stays null). A flag in
  // `extra_flags` overrides the default one of the same name.
  static std::unique_ptr<RouterStack> StartOn(std::unique_ptr<LocalCluster> cluster,
                                              const std::vector<std::string>& extra_flags = {});
  // The router's command-line flags (for restarting it).
  std::vector<std::string> RouterArgs(const std::vector<std::string>& extra_flags = {}) const;
  RouterClient Client() const { return RouterClient(router->address(), token); }
};

// The text of a value (or "<null>").
std::string Text(const v1::Value& value);

}  // namespace taskgres::testing

#endif  // TASKGRES_TESTS_ROUTER_ROUTER_CLIENT_H_
