// Scenarios through task-service, the public API, with real login tokens.
#ifndef TASKGRES_TOOLS_BENCH_STACK_SCENARIOS_H_
#define TASKGRES_TOOLS_BENCH_STACK_SCENARIOS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "load_driver.h"
#include "scenario.h"
#include "taskgres/v1/task_service.grpc.pb.h"

namespace taskgres::bench {

// Registers (if needed) and logs in `count` users named `<prefix>-<i>`; returns their tokens.
absl::StatusOr<std::vector<std::string>> LoginUsers(const std::string& address,
                                                    const std::string& prefix, int count);

// Gives `token`'s user exactly at least `count` tasks.
absl::Status EnsureTasks(const std::string& address, const std::string& token, int count);

// stack-create: each client creates tasks as its own user.
class StackCreate : public AsyncOp {
 public:
  StackCreate(const std::string& address, std::vector<std::string> tokens);
  void Issue(int client, Done done) override;

 private:
  std::vector<std::string> tokens_;
  std::unique_ptr<v1::TaskService::Stub> stub_;
};

// stack-list: every client lists the same user's 100 tasks.
class StackList : public AsyncOp {
 public:
  StackList(const std::string& address, std::string token);
  void Issue(int client, Done done) override;

 private:
  std::string token_;
  std::unique_ptr<v1::TaskService::Stub> stub_;
};

}  // namespace taskgres::bench

#endif  // TASKGRES_TOOLS_BENCH_STACK_SCENARIOS_H_
