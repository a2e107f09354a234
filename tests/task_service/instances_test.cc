// Several task-service instances over one database, as on Kubernetes: they
// migrate a fresh database together exactly once, and the x-taskgres-lsn
// metadata carries read-your-writes from one instance to another.
#include <thread>

#include "gtest/gtest.h"
#include "stack/full_stack.h"

namespace taskgres::testing {
namespace {

using std::chrono::milliseconds;

// Pauses WAL replay on both replicas for its lifetime, so a replica read that
// does not wait for an LSN is visibly stale.
class PausedReplicas {
 public:
  explicit PausedReplicas(const LocalCluster& cluster) : cluster_(cluster) { Set("pause"); }
  ~PausedReplicas() { Set("resume"); }

 private:
  void Set(const std::string& verb) {
    for (int node = 0; node < 3; ++node) {
      if (node == cluster_.primary()) continue;
      PgConnection conn(cluster_.superuser_conninfo(node));
      EXPECT_TRUE(conn.Query("SELECT pg_wal_replay_" + verb + "()").has_value())
          << "node " << node << ": " << conn.error();
    }
  }
  const LocalCluster& cluster_;
};

bool Lists(TaskClient& client, int64_t id, const std::string& lsn) {
  auto context = client.Context();
  if (!lsn.empty()) context->AddMetadata("x-taskgres-lsn", lsn);
  v1::ListTasksResponse response;
  grpc::Status status = client.stub().ListTasks(context.get(), v1::ListTasksRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  for (const v1::Task& task : response.tasks()) {
    if (task.id() == id) return true;
  }
  return false;
}

TEST(TaskServiceInstancesTest, InstancesMigrateAFreshDatabaseOnceAndShareReadYourWrites) {
  auto stack = FullStack::Start();
  ASSERT_NE(stack, nullptr);
  // A fresh database behind a router of its own, so the instances below are
  // the first to see it.
  {
    PgConnection superuser(stack->cluster->superuser_conninfo(stack->cluster->primary()));
    ASSERT_TRUE(superuser.ok()) << superuser.error();
    std::string error;
    ASSERT_TRUE(superuser.Query("CREATE DATABASE fresh OWNER taskgres", {}, &error).has_value())
        << error;
  }
  // Start its router once both replicas can serve the new database: a router
  // that probed them before they replayed CREATE DATABASE was seen to keep
  // them out of reads for the rest of the test (reads all went to the primary).
  for (int node = 0; node < 3; ++node) {
    if (node == stack->cluster->primary()) continue;
    EXPECT_TRUE(WaitFor(
        [&] {
          PgConnection replica(stack->cluster->conninfo(node) + " dbname=fresh");
          return replica.ok();
        },
        milliseconds(10000)))
        << "node " << node << " never accepted connections to the new database";
  }
  const int router_port = FreePort();
  auto router = ServiceProcess::Start("db-router-fresh", BinaryPath("services/db-router/db-router"),
                                      {"--db-hosts=" + stack->cluster->hosts(), "--db-name=fresh",
                                       "--db-password-file=" + stack->cluster->password_file(),
                                       "--service-token-file=" + stack->service_token_file,
                                       "--listen=127.0.0.1:" + std::to_string(router_port),
                                       "--metrics-listen=127.0.0.1:" + std::to_string(FreePort())},
                                      router_port);
  ASSERT_NE(router, nullptr);

  // Three instances start at once; each must come up (a second run of a
  // migration or of the first admin's creation would fail its start-up).
  constexpr size_t kInstances = 3;
  std::vector<std::unique_ptr<ServiceProcess>> instances(kInstances);
  std::vector<int> port_list;  // gRPC and metrics port of each instance
  for (size_t i = 0; i < 2 * kInstances; ++i) port_list.push_back(FreePort());
  {
    std::vector<std::jthread> starters;
    starters.reserve(kInstances);
    for (size_t i = 0; i < kInstances; ++i) {
      starters.emplace_back([&, i] {
        const int port = port_list[2 * i];
        instances[i] = ServiceProcess::Start(
            "task-service-" + std::to_string(i), BinaryPath("services/task-service/task-service"),
            stack->TaskServiceArgs(
                {"--listen=127.0.0.1:" + std::to_string(port),
                 "--metrics-listen=127.0.0.1:" + std::to_string(port_list[2 * i + 1]),
                 "--db-router=" + router->address()}),
            port, std::chrono::seconds(40));
      });
    }
  }
  for (const auto& instance : instances) ASSERT_NE(instance, nullptr);
  // libpq lets a later keyword override an earlier one.
  PgConnection fresh(stack->cluster->conninfo(stack->cluster->primary()) + " dbname=fresh");
  ASSERT_TRUE(fresh.ok()) << fresh.error();
  EXPECT_EQ(fresh.Scalar("SELECT count(*) = count(DISTINCT version) AND count(*) > 0 "
                         "FROM schema_migrations"),
            "t");
  EXPECT_EQ(fresh.Scalar("SELECT count(*) FROM users WHERE role = 'ADMIN'"), "1");

  // A user writes through instance A and reads through instance B.
  TaskClient a(instances[0]->address());
  TaskClient b(instances[1]->address());
  v1::RegisterRequest registration;
  registration.set_username("roamer");
  registration.set_password("roamer-password");
  v1::User user;
  ASSERT_TRUE(a.stub().Register(a.Context().get(), registration, &user).ok());
  ASSERT_TRUE(a.Login("roamer", "roamer-password").ok());
  b.set_token(a.token());

  PausedReplicas paused(*stack->cluster);
  v1::CreateTaskRequest request;
  request.set_description("written on A");
  auto context = a.Context();
  v1::Task task;
  ASSERT_TRUE(a.stub().CreateTask(context.get(), request, &task).ok());
  auto header = context->GetServerInitialMetadata().find("x-taskgres-lsn");
  ASSERT_NE(header, context->GetServerInitialMetadata().end());
  const std::string lsn(header->second.data(), header->second.size());

  // B knows nothing of the write: only the metadata makes it wait for it.
  // Without it, reads on B may miss the task (a read the router sends to the
  // primary, e.g. while a replica's probe is late on a loaded machine, does
  // not); with it, none may.
  int stale = 0;
  for (int i = 0; i < 5; ++i) {
    if (!Lists(b, task.id(), "")) ++stale;
    EXPECT_TRUE(Lists(b, task.id(), lsn)) << "instance B ignored x-taskgres-lsn " << lsn;
    // A remembers the write itself.
    EXPECT_TRUE(Lists(a, task.id(), ""));
  }
  EXPECT_GT(stale, 0) << "the replicas were never stale, so this test proves nothing";

  // A mangled token is refused rather than silently read stale.
  auto bad = b.Context();
  bad->AddMetadata("x-taskgres-lsn", "not-an-lsn");
  v1::ListTasksResponse response;
  grpc::Status status = b.stub().ListTasks(bad.get(), v1::ListTasksRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_NE(status.error_message().find("x-taskgres-lsn"), std::string::npos)
      << status.error_message();
}

}  // namespace
}  // namespace taskgres::testing
