// db-router routing rules and limits against a real local cluster: statements
// AUTO misjudges, caller deadlines and cancels, lagging replicas, host names,
// pool sizing and connection lifetime, and what never reaches the log.
#include <atomic>
#include <map>
#include <thread>

#include "gtest/gtest.h"
#include "router/router_client.h"

namespace taskgres::testing {
namespace {

using std::chrono::milliseconds;

std::string NodeName(const LocalCluster& cluster, int node) {
  return "127.0.0.1:" + std::to_string(cluster.port(node));
}

// The index of a replica (not the primary) of `cluster`.
int SomeReplica(const LocalCluster& cluster) { return cluster.primary() == 1 ? 2 : 1; }

// How many backends of the router's pools (not its probes or LISTEN) are connected to `node`.
int RouterConnections(const LocalCluster& cluster, int node) {
  PgConnection conn(cluster.superuser_conninfo(node));
  if (!conn.ok()) return -1;
  auto count = conn.Scalar(
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'taskgres-db-router' "
      "AND backend_type = 'client backend'");
  return count ? std::stoi(*count) : -1;
}

// True when no backend on any node is running a statement containing `marker`.
bool NothingRunning(const LocalCluster& cluster, const std::string& marker) {
  for (int node = 0; node < 3; ++node) {
    PgConnection conn(cluster.superuser_conninfo(node));
    if (!conn.ok()) return false;
    auto count = conn.Scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%' || $1 || '%' "
        "AND state = 'active' AND pid <> pg_backend_pid()",
        {marker});
    if (!count || *count != "0") return false;
  }
  return true;
}

TEST(RouterRoutingTest, AnAutoStatementThatWritesIsRetriedOnThePrimary) {
  auto stack = RouterStack::Start();
  ASSERT_NE(stack, nullptr);
  RouterClient client = stack->Client();
  v1::ExecuteResponse response;
  // A function that writes looks like a plain read to the classifier.
  grpc::Status status =
      client.Execute("CREATE TABLE marks (id bigserial PRIMARY KEY, note text NOT NULL)", {},
                     v1::INTENT_WRITE, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = client.Execute(
      "CREATE FUNCTION add_mark(note text) RETURNS bigint LANGUAGE sql AS "
      "$$ INSERT INTO marks (note) VALUES (note) RETURNING id $$",
      {}, v1::INTENT_WRITE, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const uint64_t created = response.commit_lsn();

  for (int i = 0; i < 20; ++i) {
    v1::ExecuteResponse marked;
    status = client.Execute("SELECT add_mark($1)", {"auto-" + std::to_string(i)}, v1::INTENT_AUTO,
                            &marked, created);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(marked.served_by().role(), v1::NODE_ROLE_PRIMARY);
    EXPECT_GT(marked.commit_lsn(), 0u) << "a write answered without its commit LSN";
  }
  PgConnection primary(stack->cluster->conninfo(stack->cluster->primary()));
  ASSERT_TRUE(primary.ok()) << primary.error();
  EXPECT_EQ(primary.Scalar("SELECT count(DISTINCT note) FROM marks WHERE note LIKE 'auto-%'"),
            "20");
  EXPECT_EQ(primary.Scalar("SELECT count(*) FROM marks"), "20") << "a statement ran twice";
}

TEST(RouterRoutingTest, AReadWithMinLsnNeverErrsOnAReplicaThatHasNotReplayedIt) {
  auto stack = RouterStack::Start();
  ASSERT_NE(stack, nullptr);
  RouterClient client = stack->Client();
  std::vector<std::unique_ptr<PgConnection>> replicas;
  for (int node = 0; node < 3; ++node) {
    if (node == stack->cluster->primary()) continue;
    replicas.push_back(std::make_unique<PgConnection>(stack->cluster->superuser_conninfo(node)));
    ASSERT_TRUE(replicas.back()->ok()) << replicas.back()->error();
  }
  // Neither replica replays: a table created now exists only on the primary.
  for (auto& replica : replicas) {
    ASSERT_TRUE(replica->Query("SELECT pg_wal_replay_pause()").has_value());
  }
  for (int i = 0; i < 5; ++i) {
    const std::string table = "fresh_" + std::to_string(i);
    v1::ExecuteResponse created;
    grpc::Status status =
        client.Execute("CREATE TABLE " + table + " (id int)", {}, v1::INTENT_WRITE, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
    // A replica would answer "relation does not exist": that is no answer to
    // a caller who created it. The read waits, then goes to the primary.
    v1::ExecuteResponse read;
    std::string sqlstate;
    status = client.Execute("SELECT count(*) FROM " + table, {}, v1::INTENT_READ, &read,
                            created.commit_lsn(), milliseconds(5000), &sqlstate);
    EXPECT_TRUE(status.ok()) << sqlstate << ": " << status.error_message();
    EXPECT_EQ(read.served_by().role(), v1::NODE_ROLE_PRIMARY);
  }
  for (auto& replica : replicas) {
    ASSERT_TRUE(replica->Query("SELECT pg_wal_replay_resume()").has_value());
  }
}

TEST(RouterRoutingTest, TheCallersDeadlineAndCancelStopTheBackendQuery) {
  auto stack = RouterStack::Start();
  ASSERT_NE(stack, nullptr);
  RouterClient client = stack->Client();

  // The gRPC deadline alone (no timeout_ms), on a read and on a write.
  for (v1::Intent intent : {v1::INTENT_READ, v1::INTENT_WRITE}) {
    const std::string marker = "deadline-" + std::to_string(intent);
    v1::ExecuteResponse response;
    const auto start = std::chrono::steady_clock::now();
    grpc::Status status = client.Execute("SELECT pg_sleep(30) /* " + marker + " */", {}, intent,
                                         &response, 0, milliseconds(400));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
    EXPECT_TRUE(
        WaitFor([&] { return NothingRunning(*stack->cluster, marker); }, milliseconds(3000)))
        << "the query outlived its caller's deadline: " << marker;
  }

  // The caller cancels.
  grpc::ClientContext context;
  client.Prepare(context, milliseconds(30000));
  v1::ExecuteRequest request;
  request.set_sql("SELECT pg_sleep(30) /* cancelled-by-caller */");
  request.set_intent(v1::INTENT_READ);
  std::jthread canceller([&context] {
    std::this_thread::sleep_for(milliseconds(300));
    context.TryCancel();
  });
  v1::ExecuteResponse response;
  grpc::Status status = client.stub().Execute(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  EXPECT_TRUE(WaitFor([&] { return NothingRunning(*stack->cluster, "cancelled-by-caller"); },
                      milliseconds(3000)))
      << "the query outlived its cancelled caller";

  // The connections stay usable.
  status = client.Execute("SELECT 7", {}, v1::INTENT_READ, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.rows(0).values(0).text(), "7");
}

TEST(RouterRoutingTest, AReplicaLaggingBeyondTheLimitServesNoReadsUntilItCatchesUp) {
  auto stack = RouterStack::Start({"--max-replica-lag=1s"});
  ASSERT_NE(stack, nullptr);
  RouterClient client = stack->Client();
  v1::ExecuteResponse response;
  ASSERT_TRUE(
      client
          .Execute("CREATE TABLE ticks (id bigserial PRIMARY KEY)", {}, v1::INTENT_WRITE, &response)
          .ok());
  const int paused = SomeReplica(*stack->cluster);
  const std::string paused_name = NodeName(*stack->cluster, paused);
  PgConnection paused_conn(stack->cluster->superuser_conninfo(paused));
  ASSERT_TRUE(paused_conn.ok()) << paused_conn.error();
  PgConnection paused_app_conn(stack->cluster->conninfo(paused));
  ASSERT_TRUE(paused_app_conn.ok()) << paused_app_conn.error();
  ASSERT_TRUE(WaitFor(
      [&] { return paused_app_conn.Scalar("SELECT to_regclass('ticks') IS NOT NULL") == "t"; },
      milliseconds(5000)));
  ASSERT_TRUE(paused_conn.Query("SELECT pg_wal_replay_pause()").has_value());

  // Writes go on; the paused replica receives WAL but does not replay it.
  std::atomic<bool> stop{false};
  std::jthread writer([&] {
    RouterClient writer_client = stack->Client();
    while (!stop) {
      v1::ExecuteResponse ignored;
      writer_client.Execute("INSERT INTO ticks DEFAULT VALUES", {}, v1::INTENT_WRITE, &ignored);
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  double lag = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        v1::Topology topology;
        if (!client.Topology(&topology).ok()) return false;
        for (const auto& node : topology.nodes()) {
          if (node.name() == paused_name) lag = node.lag_seconds();
        }
        return lag > 1.5;
      },
      milliseconds(10000)))
      << "lag of the paused replica: " << lag;

  std::map<std::string, int> served;
  for (int i = 0; i < 200; ++i) {
    grpc::Status status = client.Execute("SELECT 1", {}, v1::INTENT_READ, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ++served[response.served_by().node()];
  }
  EXPECT_EQ(served.count(paused_name), 0u) << "a replica beyond --max-replica-lag served reads";
  EXPECT_EQ(served[NodeName(*stack->cluster, 3 - paused - stack->cluster->primary())], 200);

  // Replaying again, it catches up and serves reads again.
  ASSERT_TRUE(paused_conn.Query("SELECT pg_wal_replay_resume()").has_value());
  ASSERT_TRUE(WaitFor(
      [&] {
        grpc::Status status = client.Execute("SELECT 1", {}, v1::INTENT_READ, &response);
        return status.ok() && response.served_by().node() == paused_name;
      },
      milliseconds(10000)))
      << "the replica is not used again after catching up";
  stop = true;
}

TEST(RouterRoutingTest, HostNamesAreResolved) {
  auto cluster = LocalCluster::Start();
  ASSERT_NE(cluster, nullptr);
  std::string hosts;
  for (int node = 0; node < 3; ++node) {
    if (node > 0) hosts += ',';
    hosts += "localhost:";
    hosts += std::to_string(cluster->port(node));
  }
  auto stack = RouterStack::StartOn(std::move(cluster), {"--db-hosts=" + hosts});
  ASSERT_NE(stack, nullptr);
  RouterClient client = stack->Client();
  v1::Topology topology;
  ASSERT_TRUE(client.Topology(&topology).ok());
  EXPECT_EQ(topology.primary(), NodeName(*stack->cluster, stack->cluster->primary()));
  EXPECT_EQ(topology.nodes_size(), 3);
  v1::ExecuteResponse response;
  ASSERT_TRUE(client.Execute("SELECT 1", {}, v1::INTENT_READ, &response).ok());
  EXPECT_EQ(response.served_by().role(), v1::NODE_ROLE_REPLICA);
  // The name list (last --db-hosts wins), not the default IP list, was used.
  EXPECT_NE(stack->router->log().find("\"host\":\"localhost\""), std::string::npos)
      << stack->router->log();
}

TEST(RouterRoutingTest, PoolsShrinkWhenIdleAndRenewOldConnections) {
  auto stack = RouterStack::Start(
      {"--pool-min=1", "--pool-max=4", "--pool-idle-timeout=1s", "--pool-max-lifetime=2s"});
  ASSERT_NE(stack, nullptr);
  const int primary = stack->cluster->primary();
  // Slow statements arriving while every connection is stuck in one make the
  // write pool grow past its minimum (statements arriving together share one
  // pipelined connection instead).
  std::vector<std::jthread> callers;
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      RouterClient caller = stack->Client();
      v1::ExecuteResponse ignored;
      caller.Execute("SELECT pg_sleep(1)", {}, v1::INTENT_WRITE, &ignored);
    });
    std::this_thread::sleep_for(milliseconds(60));
  }
  int peak = 0;
  WaitFor(
      [&] {
        peak = std::max(peak, RouterConnections(*stack->cluster, primary));
        return peak > 1;
      },
      milliseconds(3000));
  callers.clear();  // joins
  EXPECT_GT(peak, 1) << "the pool never grew";
  EXPECT_LE(peak, 4) << "the pool grew past --pool-max";
  int now = peak;
  EXPECT_TRUE(WaitFor(
      [&] {
        now = RouterConnections(*stack->cluster, primary);
        return now == 1;
      },
      milliseconds(8000)))
      << now << " connections left after the idle timeout (expected --pool-min=1)";

  // The remaining connection is replaced once it is older than its lifetime.
  RouterClient client = stack->Client();
  v1::ExecuteResponse first;
  ASSERT_TRUE(client.Execute("SELECT pg_backend_pid()", {}, v1::INTENT_WRITE, &first).ok());
  std::string renewed_pid;
  EXPECT_TRUE(WaitFor(
      [&] {
        v1::ExecuteResponse again;
        if (!client.Execute("SELECT pg_backend_pid()", {}, v1::INTENT_WRITE, &again).ok())
          return false;
        renewed_pid = again.rows(0).values(0).text();
        return renewed_pid != first.rows(0).values(0).text();
      },
      milliseconds(8000)))
      << "the connection outlived --pool-max-lifetime";
}

TEST(RouterRoutingTest, SqlAndParametersNeverReachTheLog) {
  auto stack = RouterStack::Start({"--log-level=debug"});
  ASSERT_NE(stack, nullptr);
  RouterClient client = stack->Client();
  const std::string sql_marker = "zq_sql_marker_7781";
  const std::string param_marker = "zq-param-marker-4417";
  v1::ExecuteResponse response;
  std::string sqlstate;
  // Good, failing and refused statements, reads and writes.
  ASSERT_TRUE(
      client.Execute("SELECT $1::text AS " + sql_marker, {param_marker}, v1::INTENT_READ, &response)
          .ok());
  EXPECT_FALSE(client
                   .Execute("SELECT no_such_column_" + sql_marker + " WHERE $1 = 'x'",
                            {param_marker}, v1::INTENT_READ, &response, 0, milliseconds(5000),
                            &sqlstate)
                   .ok());
  EXPECT_EQ(sqlstate, "42703");
  EXPECT_FALSE(client
                   .Execute("INSERT INTO no_such_table_" + sql_marker + " VALUES ($1)",
                            {param_marker}, v1::INTENT_WRITE, &response)
                   .ok());
  EXPECT_FALSE(
      client.Execute("SET work_mem = '" + param_marker + "'", {}, v1::INTENT_WRITE, &response)
          .ok());
  v1::ExecuteTransactionResponse transaction;
  EXPECT_FALSE(
      client
          .Transaction({{"SELECT $1::int /* " + sql_marker + " */", {param_marker}}}, &transaction)
          .ok());
  std::this_thread::sleep_for(milliseconds(300));
  const std::string log = stack->router->log();
  EXPECT_FALSE(log.empty()) << "the router logged nothing at debug level";
  EXPECT_EQ(log.find(sql_marker), std::string::npos) << log;
  EXPECT_EQ(log.find(param_marker), std::string::npos) << log;
}

}  // namespace
}  // namespace taskgres::testing
