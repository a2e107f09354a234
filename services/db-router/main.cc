// db-router: the read/write-splitting gRPC proxy in front of PostgreSQL.
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "auth/service_credential.h"
#include "db_router_service.h"
#include "listen/notification_hub.h"
#include "logging/json_log.h"
#include "router_metrics.h"
#include "routing/router.h"
#include "secrets/secret_file.h"
#include "server/server_flags.h"
#include "server/service_server.h"
#include "topology/topology_monitor.h"

ABSL_FLAG(std::string, db_hosts, "127.0.0.1:55432,127.0.0.1:55433,127.0.0.1:55434",
          "PostgreSQL hosts as host:port,... (names are re-resolved; roles are discovered)");
ABSL_FLAG(std::string, db_name, "taskgres", "Database name");
ABSL_FLAG(std::string, db_user, "taskgres", "Database user");
ABSL_FLAG(std::string, db_password_file, "", "File holding the database password (empty: none)");
ABSL_FLAG(std::string, db_sslmode, "prefer", "libpq sslmode for database connections");
ABSL_FLAG(absl::Duration, probe_interval, absl::Milliseconds(500),
          "How often every node is probed");
ABSL_FLAG(absl::Duration, probe_timeout, absl::Seconds(1), "A node silent this long is down");
ABSL_FLAG(absl::Duration, startup_timeout, absl::Seconds(10),
          "Give up starting when no node answers within this time");
ABSL_FLAG(absl::Duration, max_replica_lag, absl::Seconds(10),
          "Replicas further behind serve no reads (0: no limit)");
ABSL_FLAG(absl::Duration, lsn_wait, absl::Milliseconds(100),
          "How long a read with min_lsn waits for a replica before using the primary");
ABSL_FLAG(int, pool_min, 1, "Connections kept open per node and pool");
ABSL_FLAG(int, pool_max, 4, "Most connections per node and pool");
ABSL_FLAG(int, pool_queue_limit, 10000, "Most statements waiting per node and pool");
ABSL_FLAG(int, pool_max_batch, 64, "Most statements sent in one pipeline round trip");
ABSL_FLAG(absl::Duration, pool_idle_timeout, absl::Seconds(60), "Close connections idle this long");
ABSL_FLAG(absl::Duration, pool_max_lifetime, absl::Minutes(30),
          "Replace connections older than this");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(2), "Time limit for opening a connection");
ABSL_FLAG(absl::Duration, statement_timeout, absl::Seconds(30),
          "Server-side limit for statements whose caller set no deadline");
ABSL_FLAG(int64_t, max_result_bytes, 64 << 20,
          "Largest result one call may return, in bytes (the sum of its values)");
ABSL_FLAG(int, listen_buffer, 10000,
          "Notifications buffered per Listen stream before it is cut off");

namespace taskgres::router {
namespace {

int Main(int argc, char** argv) {
  BlockShutdownSignals();
  InitService(argc, argv, "db-router",
              "db-router: read/write-splitting gRPC proxy for PostgreSQL.\n"
              "Every flag can also be set as TASKGRES_<FLAG_NAME>.");

  const std::string token_file = absl::GetFlag(FLAGS_service_token_file);
  if (token_file.empty()) {
    ExitWithStartupError(
        absl::InvalidArgumentError("--service-token-file is required: the db-router never serves "
                                   "callers without a credential"));
  }
  absl::StatusOr<ServiceCredential> credential = ServiceCredential::FromFile(token_file);
  if (!credential.ok()) ExitWithStartupError(credential.status());
  absl::StatusOr<std::vector<HostSpec>> hosts = ParseHostList(absl::GetFlag(FLAGS_db_hosts));
  if (!hosts.ok()) ExitWithStartupError(hosts.status());

  MonitorSettings monitor_settings;
  monitor_settings.hosts = *hosts;
  monitor_settings.credentials.dbname = absl::GetFlag(FLAGS_db_name);
  monitor_settings.credentials.user = absl::GetFlag(FLAGS_db_user);
  monitor_settings.credentials.sslmode = absl::GetFlag(FLAGS_db_sslmode);
  if (const std::string file = absl::GetFlag(FLAGS_db_password_file); !file.empty()) {
    absl::StatusOr<std::string> password = ReadSecretFile(file);
    if (!password.ok()) ExitWithStartupError(password.status());
    monitor_settings.credentials.password = *password;
  }
  monitor_settings.probe_interval = absl::GetFlag(FLAGS_probe_interval);
  monitor_settings.probe_timeout = absl::GetFlag(FLAGS_probe_timeout);

  PoolSettings pool_settings;
  pool_settings.min_connections = absl::GetFlag(FLAGS_pool_min);
  pool_settings.max_connections = std::max(1, absl::GetFlag(FLAGS_pool_max));
  pool_settings.max_queue = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_pool_queue_limit)));
  pool_settings.max_batch = std::max(1, absl::GetFlag(FLAGS_pool_max_batch));
  pool_settings.idle_timeout = absl::GetFlag(FLAGS_pool_idle_timeout);
  pool_settings.max_lifetime = absl::GetFlag(FLAGS_pool_max_lifetime);
  pool_settings.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  pool_settings.lsn_wait = absl::GetFlag(FLAGS_lsn_wait);
  pool_settings.statement_timeout = absl::GetFlag(FLAGS_statement_timeout);
  pool_settings.max_result_bytes =
      static_cast<size_t>(std::max<int64_t>(1, absl::GetFlag(FLAGS_max_result_bytes)));

  ServerOptions options =
      ServerOptions::FromFlags("db-router", "127.0.0.1:50053", "127.0.0.1:9103");
  options.grpc_services = {"taskgres.v1.DbRouter"};
  absl::StatusOr<std::unique_ptr<ServiceServer>> server = ServiceServer::Create(options);
  if (!server.ok()) ExitWithStartupError(server.status());

  RouterMetrics metrics((*server)->metrics_registry());
  RouterSettings router_settings;
  router_settings.max_replica_lag = absl::GetFlag(FLAGS_max_replica_lag);
  Router router(router_settings, metrics);
  TopologyMonitor monitor(
      monitor_settings,
      [&](std::string name, ConnectTarget target) {
        return std::make_shared<Node>(std::move(name), std::move(target), pool_settings, router,
                                      metrics);
      },
      metrics);
  router.SetTopology(&monitor);
  NotificationHub hub(monitor, pool_settings.connect_timeout);
  DbRouterService service(router, monitor, hub, *credential,
                          static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_listen_buffer))),
                          (*server)->streams());
  (*server)->AddService(&service);
  // Bind first, so a taken port is reported before waiting for the database.
  if (absl::Status started = (*server)->Start(); !started.ok()) ExitWithStartupError(started);
  if (absl::Status found = monitor.Start(absl::GetFlag(FLAGS_startup_timeout)); !found.ok()) {
    ExitWithStartupError(found);
  }
  hub.Start();
  (*server)->SetServing(true);
  log::Info("ready", {{"hosts", absl::GetFlag(FLAGS_db_hosts)}});
  (*server)->WaitForShutdownSignal();
  hub.Stop();
  monitor.Stop();
  return 0;
}

}  // namespace
}  // namespace taskgres::router

int main(int argc, char** argv) { return taskgres::router::Main(argc, argv); }
