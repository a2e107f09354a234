// Test helper: the whole server side on free ports (a private cluster,
// db-router, fortune-service, task-service) and a TaskService client.
#ifndef TASKGRES_TESTS_STACK_FULL_STACK_H_
#define TASKGRES_TESTS_STACK_FULL_STACK_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/local_cluster.h"
#include "support/service_process.h"
#include "taskgres/v1/task_service.grpc.pb.h"

namespace taskgres::testing {

// A TaskService client acting as one user (token attached to every call).
class TaskClient {
 public:
  TaskClient(const std::string& address, std::string token = "");

  // Logs in and keeps the token; returns the status.
  grpc::Status Login(const std::string& username, const std::string& password);
  const std::string& token() const { return token_; }
  void set_token(std::string token) { token_ = std::move(token); }

  // A context with the token and a deadline.
  std::unique_ptr<grpc::ClientContext> Context(
      std::chrono::milliseconds deadline = std::chrono::seconds(10)) const;
  v1::TaskService::Stub& stub() { return *stub_; }

  grpc::Status Create(const std::string& description, v1::Task* task, const std::string& owner = "",
                      const std::string& request_id = "");
  grpc::Status List(const std::string& owner, std::vector<v1::Task>* tasks,
                    const v1::TaskFilter& filter = {});

 private:
  std::string token_;
  std::unique_ptr<v1::TaskService::Stub> stub_;
};

struct FullStack {
  std::unique_ptr<LocalCluster> cluster;
  std::string service_token_file;
  std::string token_key;  // the signing secret (tests may forge tokens)
  std::string token_key_file;
  std::string admin_password;
  std::string admin_password_file;
  int router_port = 0;
  int fortune_port = 0;
  int task_port = 0;
  int router_metrics_port = 0;
  int fortune_metrics_port = 0;
  int task_metrics_port = 0;
  std::unique_ptr<ServiceProcess> router;
  std::unique_ptr<ServiceProcess> fortune;
  std::unique_ptr<ServiceProcess> task;

  // Starts everything; null (with a test failure) when a part does not come up.
  static std::unique_ptr<FullStack> Start(const std::vector<std::string>& task_flags = {});

  std::vector<std::string> TaskServiceArgs(const std::vector<std::string>& extra = {}) const;
  // Stops and starts task-service again with the same flags (plus `extra`).
  bool RestartTaskService(const std::vector<std::string>& extra = {});

  TaskClient Anonymous() const { return TaskClient(task->address()); }
  TaskClient Admin() const;
  // Registers `username` (password "password-<username>") and logs in.
  TaskClient NewUser(const std::string& username) const;
  // A direct connection to the current primary, for checks behind the API.
  std::unique_ptr<PgConnection> Primary() const;
};

}  // namespace taskgres::testing

#endif  // TASKGRES_TESTS_STACK_FULL_STACK_H_
