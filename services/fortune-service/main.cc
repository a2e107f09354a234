// fortune-service: timed fortune tasks, streamed to their owner.
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "auth/service_credential.h"
#include "dbclient/db_client.h"
#include "fortune_book.h"
#include "fortune_metrics.h"
#include "fortune_service.h"
#include "generator_registry.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "logging/json_log.h"
#include "server/server_flags.h"
#include "server/service_server.h"
#include "timer/timer_queue.h"

ABSL_FLAG(std::string, db_router, "127.0.0.1:50053", "db-router address");
ABSL_FLAG(std::string, fortunes, TASKGRES_DEFAULT_FORTUNES,
          "Fortune files (classic % format), comma-separated");
ABSL_FLAG(absl::Duration, db_timeout, absl::Seconds(3), "Deadline of each db-router call");
ABSL_FLAG(int, insert_attempts, 5, "Attempts per fortune while the database is unavailable");

namespace taskgres::fortune {
namespace {

int Main(int argc, char** argv) {
  BlockShutdownSignals();
  InitService(
      argc, argv, "fortune-service",
      "fortune-service: timed fortune tasks.\nEvery flag can also be set as TASKGRES_<FLAG_NAME>.");
  absl::StatusOr<ServiceCredential> credential =
      absl::GetFlag(FLAGS_service_token_file).empty()
          ? absl::InvalidArgumentError(
                "--service-token-file is required (callers and db-router use it)")
          : ServiceCredential::FromFile(absl::GetFlag(FLAGS_service_token_file));
  if (!credential.ok()) ExitWithStartupError(credential.status());
  const std::vector<std::string> paths =
      absl::StrSplit(absl::GetFlag(FLAGS_fortunes), ',', absl::SkipWhitespace());
  absl::StatusOr<FortuneBook> book = FortuneBook::Load(paths);
  if (!book.ok()) ExitWithStartupError(book.status());
  log::Info("loaded fortunes",
            {{"usable", static_cast<int64_t>(book->size())}, {"skipped", book->skipped()}});

  ServerOptions options =
      ServerOptions::FromFlags("fortune-service", "127.0.0.1:50052", "127.0.0.1:9102");
  options.grpc_services = {"taskgres.v1.FortuneService"};
  absl::StatusOr<std::unique_ptr<ServiceServer>> server = ServiceServer::Create(options);
  if (!server.ok()) ExitWithStartupError(server.status());

  FortuneMetrics metrics((*server)->metrics_registry());
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20'000);
  arguments.SetInt(GRPC_ARG_ENABLE_CHANNELZ, 0);  // unused, and a cost on every call
  DbClient db(grpc::CreateCustomChannel(absl::GetFlag(FLAGS_db_router),
                                        grpc::InsecureChannelCredentials(), arguments),
              *credential, absl::GetFlag(FLAGS_db_timeout));
  GeneratorRegistry registry;
  TimerQueue timers;
  GeneratorDeps deps{db, *book, registry, timers, metrics, (*server)->streams()};
  deps.insert_attempts = std::max(1, absl::GetFlag(FLAGS_insert_attempts));
  FortuneServiceImpl service(deps, *credential);
  (*server)->AddService(&service);
  if (absl::Status started = (*server)->Start(); !started.ok()) ExitWithStartupError(started);
  (*server)->SetServing(true);
  log::Info("ready", {{"db_router", absl::GetFlag(FLAGS_db_router)}});
  (*server)->WaitForShutdownSignal();
  return 0;
}

}  // namespace
}  // namespace taskgres::fortune

int main(int argc, char** argv) { return taskgres::fortune::Main(argc, argv); }
