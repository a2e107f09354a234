// Integration tests of `./taskgres cluster`: a real PostgreSQL primary with two streaming
// replicas on free ports, replication, read-only replicas, failover, node restarts and pg_rewind.
// Label: integration.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/local_cluster.h"

namespace taskgres::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kReplicationWait = seconds(10);

// A name unique within this process run, for tables and values.
std::string Unique(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

// Opens a connection to `conninfo`, runs `sql` and returns its single value (nullopt on failure).
std::optional<std::string> ValueOn(const std::string& conninfo, const std::string& sql,
                                   const std::vector<std::string>& params = {}) {
  PgConnection conn(conninfo);
  if (!conn.ok()) return std::nullopt;
  return conn.Scalar(sql, params);
}

// pg_is_in_recovery() of `node` ("t"/"f"), or nullopt when it does not answer.
std::optional<std::string> InRecovery(const LocalCluster& cluster, int node) {
  return ValueOn(cluster.superuser_conninfo(node), "SELECT pg_is_in_recovery()");
}

// Nodes answering pg_is_in_recovery() = false.
std::vector<int> Primaries(const LocalCluster& cluster) {
  std::vector<int> primaries;
  for (int node = 0; node < 3; ++node) {
    if (InRecovery(cluster, node) == "f") primaries.push_back(node);
  }
  return primaries;
}

// True when replica `node` streams (pg_stat_wal_receiver) from the port of node `from`.
bool StreamsFrom(const LocalCluster& cluster, int node, int from) {
  return ValueOn(cluster.superuser_conninfo(node),
                 "SELECT status || ':' || sender_port FROM pg_stat_wal_receiver") ==
         "streaming:" + std::to_string(cluster.port(from));
}

// The node that is neither `a` nor `b`.
int Third(int a, int b) { return 3 - a - b; }

// Creates table `table` (id int primary key, v text) on the primary through the app role.
void CreateTable(const LocalCluster& cluster, const std::string& table) {
  PgConnection conn(cluster.conninfo(cluster.primary()));
  ASSERT_TRUE(conn.ok()) << conn.error();
  std::string error;
  ASSERT_TRUE(
      conn.Query("CREATE TABLE " + table + " (id int PRIMARY KEY, v text NOT NULL)", {}, &error))
      << error;
}

// Inserts rows first..last (v = "row-<id>") into `table` on node `node`, one commit each.
void InsertRows(const LocalCluster& cluster, int node, const std::string& table, int first,
                int last) {
  PgConnection conn(cluster.conninfo(node));
  ASSERT_TRUE(conn.ok()) << conn.error();
  for (int id = first; id <= last; ++id) {
    std::string error;
    ASSERT_TRUE(conn.Query("INSERT INTO " + table + " (id, v) VALUES ($1, $2)",
                           {std::to_string(id), "row-" + std::to_string(id)}, &error))
        << "row " << id << ": " << error;
  }
}

// "count:min:max" of `table` ids on `node`, nullopt when it does not answer.
std::optional<std::string> IdSummary(const LocalCluster& cluster, int node,
                                     const std::string& table) {
  return ValueOn(cluster.conninfo(node),
                 "SELECT count(DISTINCT id) || ':' || coalesce(min(id), 0) || ':' || "
                 "coalesce(max(id), 0) FROM " +
                     table);
}

// Waits until node `node` has exactly the ids first..last in `table`.
bool WaitForIds(const LocalCluster& cluster, int node, const std::string& table, int first,
                int last) {
  const std::string want =
      std::to_string(last - first + 1) + ":" + std::to_string(first) + ":" + std::to_string(last);
  return WaitFor([&] { return IdSummary(cluster, node, table) == want; }, kReplicationWait);
}

double Seconds(milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

// ---------------------------------------------------------------------------------------------
// Read-only checks share one cluster.

class ClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = LocalCluster::Start(); }
  static void TearDownTestSuite() { cluster_.reset(); }

  void SetUp() override { ASSERT_NE(cluster_, nullptr) << "the shared cluster did not start"; }

  static std::unique_ptr<LocalCluster> cluster_;
};

std::unique_ptr<LocalCluster> ClusterTest::cluster_;

TEST_F(ClusterTest, RowCommittedOnPrimaryIsVisibleOnBothReplicas) {
  const LocalCluster& cluster = *cluster_;
  const int primary = cluster.primary();
  ASSERT_EQ(primary, 0);
  const std::string table = Unique("visible");
  const std::string value = Unique("value");
  ASSERT_NO_FATAL_FAILURE(CreateTable(cluster, table));
  PgConnection conn(cluster.conninfo(primary));
  ASSERT_TRUE(conn.ok()) << conn.error();
  std::string error;
  ASSERT_TRUE(conn.Query("INSERT INTO " + table + " VALUES (1, $1)", {value}, &error)) << error;

  for (int replica : {1, 2}) {
    EXPECT_TRUE(WaitFor(
        [&] {
          return ValueOn(cluster.conninfo(replica), "SELECT v FROM " + table + " WHERE id = 1") ==
                 value;
        },
        kReplicationWait))
        << "row not visible on replica " << replica;
  }
}

TEST_F(ClusterTest, ReplicasRefuseWrites) {
  const LocalCluster& cluster = *cluster_;
  const std::string table = Unique("readonly");
  ASSERT_NO_FATAL_FAILURE(CreateTable(cluster, table));
  for (int replica : {1, 2}) {
    // The table reaches the replica first, so the failure is about writing, not a missing table.
    ASSERT_TRUE(WaitFor(
        [&] { return ValueOn(cluster.conninfo(replica), "SELECT count(*) FROM " + table) == "0"; },
        kReplicationWait));
    PgConnection conn(cluster.conninfo(replica));
    ASSERT_TRUE(conn.ok()) << conn.error();
    std::string error;
    EXPECT_FALSE(conn.Query("INSERT INTO " + table + " VALUES (1, 'x')", {}, &error));
    EXPECT_EQ(error.substr(0, 5), "25006") << error;
  }
}

TEST_F(ClusterTest, StatusExitsZeroAndNamesThePrimary) {
  std::string output;
  ASSERT_EQ(cluster_->Run("status", &output), 0) << output;
  EXPECT_NE(output.find("primary: node 0"), std::string::npos) << output;
  EXPECT_NE(output.find("streaming from 127.0.0.1:" + std::to_string(cluster_->port(0))),
            std::string::npos)
      << output;
}

TEST_F(ClusterTest, BadNodeArgumentFailsWithOneClearLine) {
  std::string output;
  EXPECT_NE(cluster_->Run("start-node 7", &output), 0);
  EXPECT_EQ(output, "taskgres: error: node 7 is not part of the cluster (expected 0, 1 or 2)\n");
}

TEST_F(ClusterTest, SuperuserAndApplicationRolesWork) {
  const LocalCluster& cluster = *cluster_;
  EXPECT_EQ(ValueOn(cluster.superuser_conninfo(0), "SELECT current_user"), "postgres");
  EXPECT_EQ(ValueOn(cluster.conninfo(0), "SELECT current_user || '@' || current_database()"),
            "taskgres@taskgres");
  EXPECT_EQ(ValueOn(cluster.superuser_conninfo(0), "SHOW synchronous_standby_names"), "ANY 1 (*)");
  EXPECT_EQ(cluster.hosts(), "127.0.0.1:" + std::to_string(cluster.port(0)) +
                                 ",127.0.0.1:" + std::to_string(cluster.port(1)) +
                                 ",127.0.0.1:" + std::to_string(cluster.port(2)));
  // A wrong password is refused (SCRAM everywhere, no trust).
  PgConnection wrong("host=127.0.0.1 port=" + std::to_string(cluster.port(0)) +
                     " dbname=taskgres user=taskgres password=wrong");
  EXPECT_FALSE(wrong.ok());
}

// ---------------------------------------------------------------------------------------------
// Tests that change the cluster get their own.

TEST(ClusterLifecycleTest, UpFromNothingIsFastAndIdempotentAndDownKeepsData) {
  std::unique_ptr<LocalCluster> cluster = LocalCluster::Start();
  ASSERT_NE(cluster, nullptr);
  std::cout << "[ figure   ] cluster up from nothing: " << Seconds(cluster->startup_time()) << " s"
            << std::endl;
  EXPECT_LT(cluster->startup_time(), seconds(20));

  std::string output;
  ASSERT_EQ(cluster->Run("up", &output), 0) << output;
  EXPECT_NE(output.find("already up"), std::string::npos) << output;

  const std::string table = Unique("kept");
  ASSERT_NO_FATAL_FAILURE(CreateTable(*cluster, table));
  ASSERT_NO_FATAL_FAILURE(InsertRows(*cluster, 0, table, 1, 10));

  ASSERT_EQ(cluster->Run("down", &output), 0) << output;
  for (int node = 0; node < 3; ++node) {
    EXPECT_EQ(InRecovery(*cluster, node), std::nullopt) << "node " << node << " still answers";
  }
  ASSERT_EQ(cluster->Run("status", &output), 0) << output;
  EXPECT_NE(output.find("stopped"), std::string::npos) << output;

  const auto restart_begin = std::chrono::steady_clock::now();
  ASSERT_EQ(cluster->Run("up", &output), 0) << output;
  std::cout << "[ figure   ] cluster up after down: "
            << Seconds(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                                restart_begin))
            << " s" << std::endl;
  EXPECT_EQ(Primaries(*cluster), std::vector<int>{0});
  for (int node = 0; node < 3; ++node) {
    EXPECT_TRUE(WaitForIds(*cluster, node, table, 1, 10)) << "node " << node;
  }
  EXPECT_TRUE(StreamsFrom(*cluster, 1, 0));
  EXPECT_TRUE(StreamsFrom(*cluster, 2, 0));
}

TEST(ClusterFailoverTest, PromotesAReplicaWithEveryCommittedRow) {
  std::unique_ptr<LocalCluster> cluster = LocalCluster::Start();
  ASSERT_NE(cluster, nullptr);
  const int old_primary = cluster->primary();
  ASSERT_EQ(old_primary, 0);
  const std::string table = Unique("failover");
  ASSERT_NO_FATAL_FAILURE(CreateTable(*cluster, table));
  ASSERT_NO_FATAL_FAILURE(InsertRows(*cluster, old_primary, table, 1, 200));

  const auto begin = std::chrono::steady_clock::now();
  cluster->Failover();
  std::cout << "[ figure   ] cluster failover (launcher, incl. re-point): "
            << Seconds(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                                begin))
            << " s" << std::endl;

  const int new_primary = cluster->primary();
  ASSERT_NE(new_primary, old_primary);
  ASSERT_GE(new_primary, 0);
  const int other = Third(old_primary, new_primary);
  EXPECT_EQ(cluster->needs_rewind(), std::vector<int>{old_primary});

  // Exactly one primary; the old one is gone, the other replica follows the new primary.
  EXPECT_EQ(Primaries(*cluster), std::vector<int>{new_primary});
  EXPECT_EQ(InRecovery(*cluster, old_primary), std::nullopt);
  EXPECT_EQ(InRecovery(*cluster, other), "t");
  EXPECT_TRUE(WaitFor([&] { return StreamsFrom(*cluster, other, new_primary); }, seconds(5)));

  // No acknowledged write is lost.
  EXPECT_EQ(IdSummary(*cluster, new_primary, table), "200:1:200");
  EXPECT_TRUE(WaitForIds(*cluster, other, table, 1, 200));

  // The new primary takes writes and replicates them.
  ASSERT_NO_FATAL_FAILURE(InsertRows(*cluster, new_primary, table, 201, 201));
  EXPECT_TRUE(WaitForIds(*cluster, other, table, 1, 201));

  std::string output;
  ASSERT_EQ(cluster->Run("status", &output), 0) << output;
  EXPECT_NE(output.find("primary: node " + std::to_string(new_primary)), std::string::npos)
      << output;
}

TEST(ClusterNodeTest, StoppedNodesComeBackInTheirRoles) {
  std::unique_ptr<LocalCluster> cluster = LocalCluster::Start();
  ASSERT_NE(cluster, nullptr);
  const std::string table = Unique("restart");
  ASSERT_NO_FATAL_FAILURE(CreateTable(*cluster, table));

  cluster->StopNode(1);
  EXPECT_EQ(InRecovery(*cluster, 1), std::nullopt) << "node 1 still answers";
  std::string output;
  EXPECT_EQ(cluster->Run("stop-node 1", &output), 0) << output;  // already stopped: fine
  ASSERT_EQ(cluster->Run("status", &output), 0) << output;
  EXPECT_NE(output.find("stopped"), std::string::npos) << output;

  // Node 2 still acknowledges synchronous commits.
  ASSERT_NO_FATAL_FAILURE(InsertRows(*cluster, 0, table, 1, 20));

  cluster->StartNode(1);
  EXPECT_EQ(InRecovery(*cluster, 1), "t");
  EXPECT_TRUE(StreamsFrom(*cluster, 1, 0));
  EXPECT_TRUE(WaitForIds(*cluster, 1, table, 1, 20));
  EXPECT_EQ(Primaries(*cluster), std::vector<int>{0});

  // start-node on a running replica is a no-op that succeeds.
  EXPECT_EQ(cluster->Run("start-node 2", &output), 0) << output;
  EXPECT_TRUE(StreamsFrom(*cluster, 2, 0));

  // A stopped primary comes back as the primary, and the replicas re-attach to it.
  cluster->StopNode(0);
  EXPECT_EQ(InRecovery(*cluster, 0), std::nullopt) << "node 0 still answers";
  cluster->StartNode(0);
  EXPECT_EQ(Primaries(*cluster), std::vector<int>{0});
  EXPECT_TRUE(StreamsFrom(*cluster, 1, 0));
  EXPECT_TRUE(StreamsFrom(*cluster, 2, 0));
  ASSERT_NO_FATAL_FAILURE(InsertRows(*cluster, 0, table, 21, 30));
  EXPECT_TRUE(WaitForIds(*cluster, 1, table, 1, 30));
  EXPECT_TRUE(WaitForIds(*cluster, 2, table, 1, 30));

  // With no replica left, a commit waits for one (ANY 1): the client deadline cancels the wait,
  // but the row is already committed locally. A returning replica releases later commits.
  cluster->StopNode(1);
  cluster->StopNode(2);
  {
    PgConnection conn(cluster->conninfo(0));
    ASSERT_TRUE(conn.ok()) << conn.error();
    conn.set_query_timeout(milliseconds(500));
    std::string error;
    EXPECT_FALSE(conn.Query("INSERT INTO " + table + " VALUES (31, 'unacknowledged')", {}, &error));
    EXPECT_EQ(error.substr(0, 5), "57014") << error;
  }
  EXPECT_EQ(ValueOn(cluster->conninfo(0), "SELECT v FROM " + table + " WHERE id = 31"),
            "unacknowledged");
  cluster->StartNode(2);
  ASSERT_NO_FATAL_FAILURE(InsertRows(*cluster, 0, table, 32, 32));
  EXPECT_TRUE(WaitForIds(*cluster, 2, table, 1, 32));
}

TEST(ClusterNodeTest, OldPrimaryIsRewoundAndRejoinsAsReplica) {
  std::unique_ptr<LocalCluster> cluster = LocalCluster::Start();
  ASSERT_NE(cluster, nullptr);
  const int old_primary = cluster->primary();
  const std::string table = Unique("rewind");
  ASSERT_NO_FATAL_FAILURE(CreateTable(*cluster, table));
  ASSERT_NO_FATAL_FAILURE(InsertRows(*cluster, old_primary, table, 1, 50));
  for (int replica : {1, 2}) ASSERT_TRUE(WaitForIds(*cluster, replica, table, 1, 50));

  // Make the old primary diverge: cut both replicas off, then commit locally only.
  for (int replica : {1, 2}) {
    PgConnection conn(cluster->superuser_conninfo(replica));
    ASSERT_TRUE(conn.ok()) << conn.error();
    std::string error;
    ASSERT_TRUE(
        conn.Query("ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=1'", {}, &error))
        << error;
    ASSERT_TRUE(conn.Query("SELECT pg_reload_conf()", {}, &error)) << error;
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        return ValueOn(cluster->superuser_conninfo(old_primary),
                       "SELECT count(*) FROM pg_stat_replication") == "0";
      },
      seconds(10)));
  {
    PgConnection conn(cluster->conninfo(old_primary));
    ASSERT_TRUE(conn.ok()) << conn.error();
    std::string error;
    ASSERT_TRUE(conn.Query("SET synchronous_commit = local", {}, &error)) << error;
    ASSERT_TRUE(conn.Query("INSERT INTO " + table + " VALUES (1000, 'diverged')", {}, &error))
        << error;
  }

  cluster->Failover();
  const int new_primary = cluster->primary();
  ASSERT_NE(new_primary, old_primary);
  const int other = Third(old_primary, new_primary);
  EXPECT_EQ(IdSummary(*cluster, new_primary, table), "50:1:50");  // the local commit is lost

  const auto begin = std::chrono::steady_clock::now();
  cluster->StartNode(old_primary);
  std::cout << "[ figure   ] start-node of the old primary (pg_rewind + start + streaming): "
            << Seconds(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                                begin))
            << " s" << std::endl;

  // A replica of the new primary, not a second primary, with the diverged row rewound away.
  EXPECT_EQ(Primaries(*cluster), std::vector<int>{new_primary});
  EXPECT_EQ(InRecovery(*cluster, old_primary), "t");
  EXPECT_TRUE(StreamsFrom(*cluster, old_primary, new_primary));
  EXPECT_TRUE(StreamsFrom(*cluster, other, new_primary));
  EXPECT_TRUE(cluster->needs_rewind().empty());
  EXPECT_TRUE(WaitForIds(*cluster, old_primary, table, 1, 50));
  ASSERT_NO_FATAL_FAILURE(InsertRows(*cluster, new_primary, table, 51, 60));
  EXPECT_TRUE(WaitForIds(*cluster, old_primary, table, 1, 60));
  EXPECT_TRUE(WaitForIds(*cluster, other, table, 1, 60));

  // The rebuilt cluster survives a second failover (a third timeline).
  cluster->Failover();
  const int third_primary = cluster->primary();
  EXPECT_NE(third_primary, new_primary);
  EXPECT_EQ(Primaries(*cluster), std::vector<int>{third_primary});
  EXPECT_EQ(IdSummary(*cluster, third_primary, table), "60:1:60");
  const int follower = Third(new_primary, third_primary);
  EXPECT_TRUE(StreamsFrom(*cluster, follower, third_primary));
  ASSERT_NO_FATAL_FAILURE(InsertRows(*cluster, third_primary, table, 61, 61));
  EXPECT_TRUE(WaitForIds(*cluster, follower, table, 1, 61));
}

TEST(ClusterLauncherTest, CommandsOnAMissingClusterFailClearly) {
  std::string dir = (std::filesystem::temp_directory_path() / Unique("taskgres-none")).string();
  std::string output;
  for (const char* command : {"cluster status", "cluster failover", "cluster start-node 1"}) {
    EXPECT_EQ(RunLauncher(dir, 30000, command, &output), 1) << command;
    EXPECT_EQ(output, "taskgres: error: cluster is not set up; run ./taskgres cluster up\n")
        << command;
  }
  EXPECT_EQ(RunLauncher(dir, 30000, "cluster down", &output), 0) << output;
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace
}  // namespace taskgres::testing
