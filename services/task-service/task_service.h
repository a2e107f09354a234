// The public TaskService: authentication and authorization on every call,
// then database work through db-router. Handlers are asynchronous: no gRPC
// thread waits on the database or on password hashing.
#ifndef TASKGRES_TASK_SERVICE_TASK_SERVICE_H_
#define TASKGRES_TASK_SERVICE_TASK_SERVICE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/cpu_pool.h"
#include "auth/login_throttle.h"
#include "auth/password_hasher.h"
#include "auth/service_credential.h"
#include "auth/token_signer.h"
#include "dbclient/db_client.h"
#include "grpcutil/arena_allocator.h"
#include "grpcutil/lenient_request.h"
#include "service_metrics.h"
#include "streaming/stream_registry.h"
#include "taskgres/v1/fortune_service.grpc.pb.h"
#include "taskgres/v1/task_service.grpc.pb.h"
#include "tasks/write_lsn_memory.h"
#include "timer/timer_queue.h"
#include "watch/task_event_hub.h"

namespace taskgres::tasks {

// Who is calling, as established from their token.
struct Caller {
  std::string username;
  v1::Role role = v1::ROLE_CLIENT;
  bool admin() const { return role == v1::ROLE_ADMIN; }
};

struct TaskServiceOptions {
  bool allow_registration = true;
  absl::Duration token_ttl = absl::Hours(12);
  // Failed logins are answered after this delay.
  absl::Duration login_failure_delay = absl::Milliseconds(500);
  // How long an admin's role is trusted before it is read again (so a
  // demoted admin loses their powers quickly, whatever their token says).
  absl::Duration admin_role_ttl = absl::Seconds(5);
  size_t watch_buffer = 4096;
};

// Everything the service uses; owned by main.
struct TaskServiceDeps {
  DbClient& db;
  auth::TokenSigner& signer;
  auth::PasswordHasher& hasher;
  auth::CpuPool& cpu;
  auth::LoginThrottle& throttle;
  TaskEventHub& hub;
  v1::FortuneService::Stub& fortunes;
  const ServiceCredential& credential;
  TaskServiceMetrics& metrics;
  WriteLsnMemory& lsns;
  TimerQueue& timers;
  StreamRegistry& streams;
};

class TaskServiceImpl final : public v1::TaskService::CallbackService {
 public:
  TaskServiceImpl(TaskServiceDeps deps, TaskServiceOptions options)
      : deps_(deps), options_(options) {
    // Every method with a text field: invalid UTF-8 gets our own answer
    // (INVALID_ARGUMENT, or PERMISSION_DENIED for a client naming an owner)
    // instead of gRPC's bare UNIMPLEMENTED.
    AcceptInvalidText("Login", &TaskServiceImpl::Login);
    AcceptInvalidText("Register", &TaskServiceImpl::Register);
    AcceptInvalidText("ListTasks", &TaskServiceImpl::ListTasks, &list_allocator_);
    AcceptInvalidText("CreateTask", &TaskServiceImpl::CreateTask);
    AcceptInvalidText("UpdateTask", &TaskServiceImpl::UpdateTask);
    AcceptInvalidText("DeleteFortunes", &TaskServiceImpl::DeleteFortunes);
    AcceptInvalidText("CreateUser", &TaskServiceImpl::CreateUser);
    AcceptInvalidText("SetUserRole", &TaskServiceImpl::SetUserRole);
    AcceptInvalidTextInStream("WatchTasks", &TaskServiceImpl::WatchTasks);
  }

  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* context,
                                  const v1::LoginRequest* request,
                                  v1::LoginResponse* response) override;
  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* context,
                                     const v1::RegisterRequest* request,
                                     v1::User* response) override;
  grpc::ServerUnaryReactor* ListTasks(grpc::CallbackServerContext* context,
                                      const v1::ListTasksRequest* request,
                                      v1::ListTasksResponse* response) override;
  grpc::ServerUnaryReactor* CreateTask(grpc::CallbackServerContext* context,
                                       const v1::CreateTaskRequest* request,
                                       v1::Task* response) override;
  grpc::ServerUnaryReactor* UpdateTask(grpc::CallbackServerContext* context,
                                       const v1::UpdateTaskRequest* request,
                                       v1::Task* response) override;
  grpc::ServerUnaryReactor* DeleteTask(grpc::CallbackServerContext* context,
                                       const v1::DeleteTaskRequest* request,
                                       v1::DeleteTaskResponse* response) override;
  grpc::ServerUnaryReactor* DeleteFortunes(grpc::CallbackServerContext* context,
                                           const v1::DeleteFortunesRequest* request,
                                           v1::DeleteFortunesResponse* response) override;
  grpc::ServerWriteReactor<v1::TaskEvent>* WatchTasks(
      grpc::CallbackServerContext* context, const v1::WatchTasksRequest* request) override;
  grpc::ServerWriteReactor<v1::Task>* GenerateFortunes(
      grpc::CallbackServerContext* context, const v1::GenerateFortunesRequest* request) override;
  grpc::ServerUnaryReactor* ListUsers(grpc::CallbackServerContext* context,
                                      const v1::ListUsersRequest* request,
                                      v1::ListUsersResponse* response) override;
  grpc::ServerUnaryReactor* CreateUser(grpc::CallbackServerContext* context,
                                       const v1::CreateUserRequest* request,
                                       v1::User* response) override;
  grpc::ServerUnaryReactor* SetUserRole(grpc::CallbackServerContext* context,
                                        const v1::SetUserRoleRequest* request,
                                        v1::User* response) override;

  // Creates `username` as an ADMIN with the given password unless a user of
  // that name exists (never overwrites). Blocking; for start-up.
  absl::Status EnsureFirstAdmin(const std::string& username, const std::string& password);

 private:
  // Serves `method` with requests parsed by ParseKeepingInvalidText, so a
  // string field that is not UTF-8 reaches the method's validation.
  // `allocator` (optional) places request and response, e.g. on an arena.
  template <typename Request, typename Response>
  void AcceptInvalidText(
      const char* name,
      grpc::ServerUnaryReactor* (TaskServiceImpl::*method)(grpc::CallbackServerContext*,
                                                           const Request*, Response*),
      grpc::MessageAllocator<LenientRequest<Request>, Response>* allocator = nullptr) {
    auto* handler = new grpc::internal::CallbackUnaryHandler<LenientRequest<Request>, Response>(
        [this, method](grpc::CallbackServerContext* context, const LenientRequest<Request>* request,
                       Response* response) {
          return (this->*method)(context, &request->message, response);
        });
    if (allocator != nullptr) handler->SetMessageAllocator(allocator);
    MarkMethodCallback(MethodIndex(name), handler);
  }
  // The same for a server-streaming method.
  template <typename Request, typename Response>
  void AcceptInvalidTextInStream(const char* name,
                                 grpc::ServerWriteReactor<Response>* (TaskServiceImpl::*method)(
                                     grpc::CallbackServerContext*, const Request*)) {
    MarkMethodCallback(
        MethodIndex(name),
        new grpc::internal::CallbackServerStreamingHandler<LenientRequest<Request>, Response>(
            [this, method](grpc::CallbackServerContext* context,
                           const LenientRequest<Request>* request) {
              return (this->*method)(context, &request->message);
            }));
  }
  // The generated service numbers its methods in .proto order.
  static int MethodIndex(const char* name) {
    return v1::LoginRequest::descriptor()
        ->file()
        ->FindServiceByName("TaskService")
        ->FindMethodByName(name)
        ->index();
  }

  // A page of tasks is many small messages: build it on an arena.
  ArenaMessageAllocator<LenientRequest<v1::ListTasksRequest>, v1::ListTasksResponse>
      list_allocator_;
  using CallerCallback = absl::AnyInvocable<void(absl::StatusOr<Caller>)>;

  // Verifies the bearer token; for admins, also that they still are admins.
  void Authenticate(grpc::CallbackServerContext* context, CallerCallback done);
  // The bearer token the call carries, or empty.
  static std::string BearerToken(const grpc::CallbackServerContext* context);
  // Whether a WatchTasks stream of `owner`'s tasks opened by `username` with
  // `token` may go on; answers OK or the status that ends it.
  void RecheckWatcher(const std::string& token, const std::string& owner,
                      const std::string& username, absl::AnyInvocable<void(grpc::Status)> verdict);
  // The same for a token already taken from the call (for re-checks that run
  // while a stream lasts), with `deadline` on any database lookup.
  void AuthenticateToken(const std::string& token, absl::Time deadline, CallerCallback done);
  // Authenticate, then require an admin (PERMISSION_DENIED otherwise).
  void AuthenticateAdmin(grpc::CallbackServerContext* context, CallerCallback done);

  // The LSN reads must have replayed: the newest of what the caller sent
  // (x-taskgres-lsn) and what this instance remembers of their writes.
  // INVALID_ARGUMENT when the caller sent metadata that is not an LSN.
  absl::StatusOr<uint64_t> ReadLsn(const grpc::CallbackServerContext* context,
                                   const Caller& caller) const;
  // Remembers a write and returns its LSN to the caller as x-taskgres-lsn.
  void RecordWrite(grpc::CallbackServerContext* context, const std::string& username, uint64_t lsn);

  // The owner a request targets: `requested` empty = the caller; "*" (only
  // when `allow_all`) = everyone. Clients may only name themselves.
  absl::StatusOr<std::string> ResolveOwner(const Caller& caller, const std::string& requested,
                                           bool allow_all) const;

  // Hashes a password off the gRPC threads; RESOURCE_EXHAUSTED when busy.
  void HashPassword(std::string password,
                    absl::AnyInvocable<void(absl::StatusOr<std::string>)> done);
  // Inserts a user with a freshly hashed password and answers with it.
  void InsertUser(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                  const std::string& username, std::string password, v1::Role role,
                  v1::User* response);
  // Answers a failed login `login_failure_delay` after it `started`.
  void FailLogin(grpc::ServerUnaryReactor* reactor, absl::Time started);

  std::optional<v1::Role> CachedRole(const std::string& username);
  void CacheRole(const std::string& username, v1::Role role);

  TaskServiceDeps deps_;
  const TaskServiceOptions options_;
  absl::Mutex role_mutex_;
  absl::flat_hash_map<std::string, std::pair<v1::Role, absl::Time>> roles_
      ABSL_GUARDED_BY(role_mutex_);
};

// A database failure as the public sees it: availability problems keep their
// code; anything else becomes INTERNAL without internal detail (which is logged).
grpc::Status DatabaseError(const grpc::Status& status, absl::string_view doing);

}  // namespace taskgres::tasks

#endif  // TASKGRES_TASK_SERVICE_TASK_SERVICE_H_
