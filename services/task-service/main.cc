// task-service: the public taskgres API.
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/cpu_pool.h"
#include "auth/login_throttle.h"
#include "auth/password_hasher.h"
#include "auth/service_credential.h"
#include "auth/token_signer.h"
#include "db/migrator.h"
#include "dbclient/db_client.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "logging/json_log.h"
#include "secrets/secret_file.h"
#include "server/server_flags.h"
#include "server/service_server.h"
#include "service_metrics.h"
#include "task_service.h"
#include "timer/timer_queue.h"
#include "watch/task_event_hub.h"

ABSL_FLAG(std::string, db_router, "127.0.0.1:50053", "db-router address");
ABSL_FLAG(std::string, fortune_service, "127.0.0.1:50052", "fortune-service address");
ABSL_FLAG(
    std::string, token_key_file, "",
    "File of token signing secrets, one per line (32+ characters); the first signs, all verify");
ABSL_FLAG(std::string, admin_username, "admin",
          "Name of the first admin, created at start if missing");
ABSL_FLAG(std::string, admin_password_file, "",
          "File with the first admin's password; empty: no admin is created");
ABSL_FLAG(bool, allow_registration, true, "Whether anyone may Register a CLIENT account");
ABSL_FLAG(absl::Duration, token_ttl, absl::Hours(12), "How long a login token is valid");
ABSL_FLAG(absl::Duration, login_failure_delay, absl::Milliseconds(500),
          "Delay before answering a failed login");
ABSL_FLAG(int, login_max_failures, 10,
          "Failed logins per account before it is locked for the window");
ABSL_FLAG(absl::Duration, login_failure_window, absl::Minutes(5),
          "Window for counting failed logins");
ABSL_FLAG(int, argon2_ops, 2, "Argon2id passes");
ABSL_FLAG(int, argon2_memory_kib, 19 * 1024, "Argon2id memory per hash, KiB");
ABSL_FLAG(int, hash_threads, 2, "Threads for password hashing");
ABSL_FLAG(int, watch_buffer, 4096,
          "Events buffered per WatchTasks stream before a slow one is cut off");
ABSL_FLAG(absl::Duration, db_timeout, absl::Seconds(5), "Deadline of each db-router call");
ABSL_FLAG(absl::Duration, startup_timeout, absl::Seconds(30),
          "How long to wait for db-router (and the migrations) at start");

namespace taskgres::tasks {
namespace {

std::shared_ptr<grpc::Channel> InternalChannel(const std::string& address) {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20'000);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  arguments.SetMaxReceiveMessageSize(64 << 20);
  arguments.SetInt(GRPC_ARG_ENABLE_CHANNELZ, 0);  // unused, and a cost on every call
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
}

int Main(int argc, char** argv) {
  BlockShutdownSignals();
  InitService(argc, argv, "task-service",
              "task-service: the public taskgres API.\nEvery flag can also be set as "
              "TASKGRES_<FLAG_NAME>.");

  absl::StatusOr<ServiceCredential> credential =
      absl::GetFlag(FLAGS_service_token_file).empty()
          ? absl::InvalidArgumentError(
                "--service-token-file is required (the credential for db-router)")
          : ServiceCredential::FromFile(absl::GetFlag(FLAGS_service_token_file));
  if (!credential.ok()) ExitWithStartupError(credential.status());
  if (absl::GetFlag(FLAGS_token_key_file).empty()) {
    ExitWithStartupError(
        absl::InvalidArgumentError("--token-key-file is required (it signs login tokens)"));
  }
  absl::StatusOr<auth::TokenSigner> signer =
      auth::TokenSigner::FromKeyFile(absl::GetFlag(FLAGS_token_key_file));
  if (!signer.ok()) ExitWithStartupError(signer.status());
  std::optional<std::string> admin_password;
  if (const std::string file = absl::GetFlag(FLAGS_admin_password_file); !file.empty()) {
    absl::StatusOr<std::string> password = ReadSecretFile(file);
    if (!password.ok()) ExitWithStartupError(password.status());
    admin_password = *password;
  }

  ServerOptions options =
      ServerOptions::FromFlags("task-service", "127.0.0.1:50051", "127.0.0.1:9101");
  options.grpc_services = {"taskgres.v1.TaskService"};
  absl::StatusOr<std::unique_ptr<ServiceServer>> server = ServiceServer::Create(options);
  if (!server.ok()) ExitWithStartupError(server.status());

  TaskServiceMetrics metrics((*server)->metrics_registry());
  DbClient db(InternalChannel(absl::GetFlag(FLAGS_db_router)), *credential,
              absl::GetFlag(FLAGS_db_timeout));
  auto fortunes =
      v1::FortuneService::NewStub(InternalChannel(absl::GetFlag(FLAGS_fortune_service)));
  auth::PasswordHasher hasher(
      static_cast<unsigned long long>(std::max(1, absl::GetFlag(FLAGS_argon2_ops))),
      static_cast<size_t>(std::max(8, absl::GetFlag(FLAGS_argon2_memory_kib))));
  auth::CpuPool cpu(std::max(1, absl::GetFlag(FLAGS_hash_threads)), 256);
  auth::LoginThrottle throttle(absl::GetFlag(FLAGS_login_max_failures),
                               absl::GetFlag(FLAGS_login_failure_window));
  TimerQueue timers;
  TaskEventHub hub(db);
  WriteLsnMemory lsns;

  TaskServiceOptions service_options;
  service_options.allow_registration = absl::GetFlag(FLAGS_allow_registration);
  service_options.token_ttl = absl::GetFlag(FLAGS_token_ttl);
  service_options.login_failure_delay = absl::GetFlag(FLAGS_login_failure_delay);
  service_options.watch_buffer =
      static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_watch_buffer)));
  TaskServiceImpl service({db, *signer, hasher, cpu, throttle, hub, *fortunes, *credential, metrics,
                           lsns, timers, (*server)->streams()},
                          service_options);
  (*server)->AddService(&service);
  if (absl::Status started = (*server)->Start(); !started.ok()) ExitWithStartupError(started);

  // The schema, through db-router (waiting for it to come up).
  const absl::Time give_up = absl::Now() + absl::GetFlag(FLAGS_startup_timeout);
  while (true) {
    absl::StatusOr<std::vector<int>> applied = ApplyMigrations(db, Migrations());
    if (applied.ok()) break;
    const bool transient = applied.status().code() == absl::StatusCode::kUnavailable ||
                           applied.status().code() == absl::StatusCode::kDeadlineExceeded;
    if (!transient || absl::Now() >= give_up) {
      ExitWithStartupError(absl::Status(
          applied.status().code(),
          absl::StrCat("database schema via db-router at ", absl::GetFlag(FLAGS_db_router), ": ",
                       applied.status().message())));
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  if (admin_password) {
    if (absl::Status admin =
            service.EnsureFirstAdmin(absl::GetFlag(FLAGS_admin_username), *admin_password);
        !admin.ok()) {
      ExitWithStartupError(admin);
    }
  }
  hub.Start();
  // Serve once task changes flow, so the first watchers miss nothing.
  while (!hub.listening() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(20));
  (*server)->SetServing(true);
  log::Info("ready", {{"db_router", absl::GetFlag(FLAGS_db_router)}});
  (*server)->WaitForShutdownSignal();
  hub.Stop();
  return 0;
}

}  // namespace
}  // namespace taskgres::tasks

int main(int argc, char** argv) { return taskgres::tasks::Main(argc, argv); }
