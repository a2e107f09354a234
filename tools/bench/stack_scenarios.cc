#include "stack_scenarios.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/arena.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace taskgres::bench {
namespace {

std::unique_ptr<v1::TaskService::Stub> NewStub(const std::string& address) {
  return v1::TaskService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

void Authorize(grpc::ClientContext& context, const std::string& token) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> LoginUsers(const std::string& address,
                                                    const std::string& prefix, int count) {
  auto stub = NewStub(address);
  std::vector<std::string> tokens;
  for (int i = 0; i < count; ++i) {
    const std::string username = absl::StrCat(prefix, "-", i);
    const std::string password = absl::StrCat("bench-password-", i);
    {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      v1::RegisterRequest request;
      request.set_username(username);
      request.set_password(password);
      v1::User user;
      grpc::Status status = stub->Register(&context, request, &user);
      if (!status.ok() && status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
        return absl::UnavailableError(
            absl::StrCat("register ", username, ": ", status.error_message()));
      }
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::LoginRequest request;
    request.set_username(username);
    request.set_password(password);
    v1::LoginResponse response;
    grpc::Status status = stub->Login(&context, request, &response);
    if (!status.ok())
      return absl::UnavailableError(absl::StrCat("login ", username, ": ", status.error_message()));
    tokens.push_back(response.token());
  }
  return tokens;
}

absl::Status EnsureTasks(const std::string& address, const std::string& token, int count) {
  auto stub = NewStub(address);
  grpc::ClientContext list_context;
  Authorize(list_context, token);
  v1::ListTasksRequest list;
  list.set_page_size(1000);
  v1::ListTasksResponse existing;
  grpc::Status status = stub->ListTasks(&list_context, list, &existing);
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  for (int i = existing.tasks_size(); i < count; ++i) {
    grpc::ClientContext context;
    Authorize(context, token);
    v1::CreateTaskRequest request;
    request.set_description(absl::StrCat("benchmark task number ", i, ": list me"));
    v1::Task task;
    status = stub->CreateTask(&context, request, &task);
    if (!status.ok()) return absl::UnavailableError(status.error_message());
  }
  return absl::OkStatus();
}

StackCreate::StackCreate(const std::string& address, std::vector<std::string> tokens)
    : tokens_(std::move(tokens)), stub_(NewStub(address)) {}

void StackCreate::Issue(int client, Done done) {
  struct Call {
    grpc::ClientContext context;
    v1::CreateTaskRequest request;
    v1::Task response;
    Done done;
  };
  auto call = std::make_unique<Call>();
  Authorize(call->context, tokens_[client % tokens_.size()]);
  call->request.set_description("a task created under load");
  call->done = std::move(done);
  Call* raw = call.release();  // owned by the completion
  stub_->async()->CreateTask(
      &raw->context, &raw->request, &raw->response, [raw](const grpc::Status& status) {
        std::unique_ptr<Call> owned(raw);
        auto done = std::move(owned->done);
        owned.reset();  // before answering, which may end the run and destroy the stub
        done(status.ok(), status.error_message());
      });
}

StackList::StackList(const std::string& address, std::string token)
    : token_(std::move(token)), stub_(NewStub(address)) {}

void StackList::Issue(int /*client*/, Done done) {
  // The response is parsed onto an arena, as a careful client would: 100
  // tasks are some 300 small allocations otherwise, on the CPU the servers share.
  struct Call {
    grpc::ClientContext context;
    v1::ListTasksRequest request;
    Done done;
    google::protobuf::Arena arena;
    v1::ListTasksResponse* response =
        google::protobuf::Arena::CreateMessage<v1::ListTasksResponse>(&arena);
  };
  auto call = std::make_unique<Call>();
  Authorize(call->context, token_);
  call->request.set_page_size(100);
  call->done = std::move(done);
  Call* raw = call.release();  // owned by the completion
  stub_->async()->ListTasks(
      &raw->context, &raw->request, raw->response, [raw](const grpc::Status& status) {
        std::unique_ptr<Call> owned(raw);
        auto done = std::move(owned->done);
        const int listed = owned->response->tasks_size();
        owned.reset();  // before answering, which may end the run and destroy the stub
        done(status.ok() && listed == 100, status.ok()
                                               ? absl::StrCat("listed ", listed, " tasks, not 100")
                                               : status.error_message());
      });
}

}  // namespace taskgres::bench
