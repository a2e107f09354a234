#include "stack/full_stack.h"

#include "gtest/gtest.h"

namespace taskgres::testing {

TaskClient::TaskClient(const std::string& address, std::string token)
    : token_(std::move(token)), stub_(v1::TaskService::NewStub(Channel(address))) {}

std::unique_ptr<grpc::ClientContext> TaskClient::Context(std::chrono::milliseconds deadline) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token_.empty()) context->AddMetadata("authorization", "Bearer " + token_);
  context->set_deadline(std::chrono::system_clock::now() + deadline);
  return context;
}

grpc::Status TaskClient::Login(const std::string& username, const std::string& password) {
  v1::LoginRequest request;
  request.set_username(username);
  request.set_password(password);
  v1::LoginResponse response;
  auto context = Context();
  grpc::Status status = stub_->Login(context.get(), request, &response);
  if (status.ok()) token_ = response.token();
  return status;
}

grpc::Status TaskClient::Create(const std::string& description, v1::Task* task,
                                const std::string& owner, const std::string& request_id) {
  v1::CreateTaskRequest request;
  request.set_description(description);
  request.set_owner(owner);
  request.set_request_id(request_id);
  auto context = Context();
  return stub_->CreateTask(context.get(), request, task);
}

grpc::Status TaskClient::List(const std::string& owner, std::vector<v1::Task>* tasks,
                              const v1::TaskFilter& filter) {
  tasks->clear();
  std::string page_token;
  do {
    v1::ListTasksRequest request;
    request.set_owner(owner);
    request.set_page_token(page_token);
    *request.mutable_filter() = filter;
    v1::ListTasksResponse response;
    auto context = Context();
    grpc::Status status = stub_->ListTasks(context.get(), request, &response);
    if (!status.ok()) return status;
    tasks->insert(tasks->end(), response.tasks().begin(), response.tasks().end());
    page_token = response.next_page_token();
  } while (!page_token.empty());
  return grpc::Status::OK;
}

std::vector<std::string> FullStack::TaskServiceArgs(const std::vector<std::string>& extra) const {
  std::vector<std::string> args = {
      "--listen=127.0.0.1:" + std::to_string(task_port),
      "--metrics-listen=127.0.0.1:" + std::to_string(task_metrics_port),
      "--db-router=" + router->address(), "--fortune-service=" + fortune->address(),
      "--service-token-file=" + service_token_file, "--token-key-file=" + token_key_file,
      "--admin-password-file=" + admin_password_file,
      // Fast hashing keeps tests quick; production defaults are in main.cc.
      "--argon2-memory-kib=1024", "--argon2-ops=1", "--login-failure-delay=100ms"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::unique_ptr<FullStack> FullStack::Start(const std::vector<std::string>& task_flags) {
  auto stack = std::make_unique<FullStack>();
  stack->cluster = LocalCluster::Start();
  if (stack->cluster == nullptr) return nullptr;
  stack->service_token_file = WriteSecretFile("service-token", RandomToken());
  stack->token_key = RandomToken(48);
  stack->token_key_file = WriteSecretFile("token-key", stack->token_key);
  stack->admin_password = RandomToken(20);
  stack->admin_password_file = WriteSecretFile("admin-password", stack->admin_password);
  stack->router_port = FreePort();
  stack->router_metrics_port = FreePort();
  stack->fortune_metrics_port = FreePort();
  stack->task_metrics_port = FreePort();
  stack->router = ServiceProcess::Start(
      "db-router", BinaryPath("services/db-router/db-router"),
      {"--db-hosts=" + stack->cluster->hosts(),
       "--db-password-file=" + stack->cluster->password_file(),
       "--service-token-file=" + stack->service_token_file,
       "--listen=127.0.0.1:" + std::to_string(stack->router_port),
       "--metrics-listen=127.0.0.1:" + std::to_string(stack->router_metrics_port)},
      stack->router_port);
  if (stack->router == nullptr) return nullptr;
  stack->fortune_port = FreePort();
  stack->fortune = ServiceProcess::Start(
      "fortune-service", BinaryPath("services/fortune-service/fortune-service"),
      {"--db-router=" + stack->router->address(),
       "--service-token-file=" + stack->service_token_file,
       "--listen=127.0.0.1:" + std::to_string(stack->fortune_port),
       "--metrics-listen=127.0.0.1:" + std::to_string(stack->fortune_metrics_port)},
      stack->fortune_port);
  if (stack->fortune == nullptr) return nullptr;
  stack->task_port = FreePort();
  stack->task =
      ServiceProcess::Start("task-service", BinaryPath("services/task-service/task-service"),
                            stack->TaskServiceArgs(task_flags), stack->task_port);
  if (stack->task == nullptr) return nullptr;
  return stack;
}

bool FullStack::RestartTaskService(const std::vector<std::string>& extra) {
  if (task->Terminate(std::chrono::seconds(10)) != 0) {
    ADD_FAILURE() << "task-service did not stop cleanly:\n" << task->log();
  }
  task = ServiceProcess::Start("task-service", BinaryPath("services/task-service/task-service"),
                               TaskServiceArgs(extra), task_port);
  return task != nullptr;
}

TaskClient FullStack::Admin() const {
  TaskClient client(task->address());
  grpc::Status status = client.Login("admin", admin_password);
  EXPECT_TRUE(status.ok()) << "admin login: " << status.error_message();
  return client;
}

TaskClient FullStack::NewUser(const std::string& username) const {
  TaskClient client(task->address());
  v1::RegisterRequest request;
  request.set_username(username);
  request.set_password("password-" + username);
  v1::User user;
  auto context = client.Context();
  grpc::Status status = client.stub().Register(context.get(), request, &user);
  EXPECT_TRUE(status.ok()) << "register " << username << ": " << status.error_message();
  status = client.Login(username, "password-" + username);
  EXPECT_TRUE(status.ok()) << "login " << username << ": " << status.error_message();
  return client;
}

std::unique_ptr<PgConnection> FullStack::Primary() const {
  return std::make_unique<PgConnection>(cluster->conninfo(cluster->primary()));
}

}  // namespace taskgres::testing
