// db-router under faults: the primary killed and a replica promoted while
// writers and readers run; a replica stopped under read load; LISTEN across a
// failover. Each test has a cluster of its own.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "router/router_client.h"

namespace taskgres::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Readers that count every failed read until stopped. They read with
// `min_lsn` (the table's creation) so that no replica serves them before it
// has the table, as a real caller that just created it would.
class ReadLoad {
 public:
  ReadLoad(const RouterStack& stack, int threads, uint64_t min_lsn) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, &stack, min_lsn] {
        RouterClient client = stack.Client();
        while (!stop_) {
          v1::ExecuteResponse response;
          grpc::Status status = client.Execute("SELECT count(*) FROM events", {}, v1::INTENT_READ,
                                               &response, min_lsn, milliseconds(5000));
          ++reads_;
          if (status.ok()) {
            std::lock_guard lock(mutex_);
            ++served_[response.served_by().node()];
          } else {
            std::lock_guard lock(mutex_);
            failures_.push_back(std::to_string(status.error_code()) + ": " +
                                status.error_message());
          }
        }
      });
    }
  }
  ~ReadLoad() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }
  int reads() const { return reads_; }
  std::vector<std::string> failures() {
    std::lock_guard lock(mutex_);
    return failures_;
  }
  std::map<std::string, int> served() {
    std::lock_guard lock(mutex_);
    return served_;
  }
  void ResetServed() {
    std::lock_guard lock(mutex_);
    served_.clear();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> reads_{0};
  std::mutex mutex_;
  std::vector<std::string> failures_;
  std::map<std::string, int> served_;
  std::vector<std::thread> threads_;
};

// Creates the table; returns the commit LSN of its creation (0 on failure).
uint64_t CreateEvents(RouterClient& client) {
  v1::ExecuteResponse response;
  grpc::Status status =
      client.Execute("CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz DEFAULT now())",
                     {}, v1::INTENT_WRITE, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(response.commit_lsn(), 0u);
  return response.commit_lsn();
}

TEST(RouterChaosTest, FailoverUnderLoadLosesNoAcknowledgedWrite) {
  auto stack = RouterStack::Start();
  ASSERT_NE(stack, nullptr);
  RouterClient client = stack->Client();
  const uint64_t created = CreateEvents(client);
  ASSERT_GT(created, 0u);

  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<int64_t> acknowledged;
  std::vector<std::pair<Clock::time_point, std::string>> write_errors;
  std::atomic<int64_t> last_success_ns{0};
  std::string last_writer_node;
  std::thread writer([&] {
    RouterClient writer_client = stack->Client();
    for (int64_t id = 1; !stop; ++id) {
      v1::ExecuteResponse response;
      grpc::Status status =
          writer_client.Execute("INSERT INTO events (id) VALUES ($1)", {std::to_string(id)},
                                v1::INTENT_WRITE, &response, 0, milliseconds(5000));
      std::lock_guard lock(mutex);
      if (status.ok()) {
        acknowledged.push_back(id);
        last_success_ns = Clock::now().time_since_epoch().count();
        last_writer_node = response.served_by().node();
      } else {
        write_errors.emplace_back(
            Clock::now(), std::to_string(status.error_code()) + ": " + status.error_message());
        std::this_thread::sleep_for(milliseconds(20));
      }
    }
  });
  ReadLoad readers(*stack, 2, created);
  std::this_thread::sleep_for(milliseconds(1000));

  const int old_primary = stack->cluster->primary();
  const auto failover_start = Clock::now();
  stack->cluster->Failover();
  const auto failover_done = Clock::now();
  const int new_primary = stack->cluster->primary();
  ASSERT_NE(new_primary, old_primary);
  const std::string new_primary_name =
      "127.0.0.1:" + std::to_string(stack->cluster->port(new_primary));

  // Writes come back on the new primary by themselves.
  Clock::time_point recovered{};
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard lock(mutex);
        if (last_writer_node == new_primary_name &&
            Clock::time_point(Clock::duration(last_success_ns.load())) > failover_done) {
          recovered = Clock::time_point(Clock::duration(last_success_ns.load()));
          return true;
        }
        return false;
      },
      milliseconds(15000)));
  std::cout << "failover command took " << Seconds(failover_done - failover_start)
            << " s; writes succeeded again " << Seconds(recovered - failover_done)
            << " s after it returned (" << Seconds(recovered - failover_start)
            << " s after the kill)\n";
  // Measured from the kill, so the promotion's own time counts against it too.
  EXPECT_LT(recovered - failover_start, std::chrono::seconds(3));

  std::this_thread::sleep_for(milliseconds(500));
  stop = true;
  writer.join();
  readers.Stop();

  {
    std::lock_guard lock(mutex);
    std::cout << acknowledged.size() << " writes acknowledged, " << write_errors.size()
              << " refused; " << readers.reads() << " reads\n";
    for (const auto& [when, error] : write_errors) {
      // Refusals are only the documented ones, and only around the failover.
      EXPECT_NE(error.find("14: "), std::string::npos) << error;  // UNAVAILABLE
    }
  }
  EXPECT_TRUE(readers.failures().empty())
      << readers.failures().size() << " reads failed, first: " << readers.failures().front();

  // Every acknowledged write is on the new primary.
  PgConnection primary(stack->cluster->conninfo(new_primary));
  ASSERT_TRUE(primary.ok()) << primary.error();
  auto rows = primary.Query("SELECT id FROM events");
  ASSERT_TRUE(rows.has_value());
  std::set<int64_t> present;
  for (const auto& row : *rows) present.insert(std::stoll(row[0]));
  int missing = 0;
  for (int64_t id : acknowledged) missing += present.count(id) == 0;
  EXPECT_EQ(missing, 0) << "acknowledged writes missing after failover";

  // Every node shows its new role: the promoted one primary, the other
  // replica streaming from it (once it has reconnected), the killed one down.
  const std::string old_primary_name =
      "127.0.0.1:" + std::to_string(stack->cluster->port(old_primary));
  v1::Topology topology;
  std::string wrong;
  const bool roles_shown = WaitFor(
      [&] {
        topology.Clear();
        if (!client.Topology(&topology).ok()) return false;
        wrong.clear();
        for (const v1::NodeStatus& node : topology.nodes()) {
          const bool expected = node.name() == new_primary_name
                                    ? node.role() == v1::NODE_ROLE_PRIMARY && node.healthy()
                                : node.name() == old_primary_name
                                    ? !node.healthy() && node.role() != v1::NODE_ROLE_PRIMARY
                                    : node.role() == v1::NODE_ROLE_REPLICA && node.healthy();
          if (!expected) wrong += node.name() + " (" + node.problem() + ") ";
        }
        return topology.nodes_size() == 3 && wrong.empty();
      },
      milliseconds(10000));
  EXPECT_TRUE(roles_shown) << "unexpected roles: " << wrong << topology.DebugString();
  EXPECT_EQ(topology.primary(), new_primary_name);
  EXPECT_GE(topology.primary_changes(), 1u);
}

TEST(RouterChaosTest, TwoPrimariesAreFencedUntilOnlyOneIsLeft) {
  auto stack = RouterStack::Start();
  ASSERT_NE(stack, nullptr);
  RouterClient client = stack->Client();
  const uint64_t created = CreateEvents(client);
  ASSERT_GT(created, 0u);
  const int primary = stack->cluster->primary();
  const int rogue = primary == 2 ? 1 : 2;
  const int replica = 3 - primary - rogue;

  // Split brain: a replica promoted behind the operator's back.
  PgConnection rogue_conn(stack->cluster->superuser_conninfo(rogue));
  ASSERT_TRUE(rogue_conn.ok()) << rogue_conn.error();
  ASSERT_EQ(rogue_conn.Scalar("SELECT pg_promote(true, 30)"), "t");

  // Within a few probes every write is refused, naming the conflict.
  grpc::Status refused;
  ASSERT_TRUE(WaitFor(
      [&] {
        v1::ExecuteResponse response;
        refused = client.Execute("INSERT INTO events (id) VALUES (-1) ON CONFLICT DO NOTHING", {},
                                 v1::INTENT_WRITE, &response);
        return refused.error_code() == grpc::StatusCode::UNAVAILABLE;
      },
      milliseconds(5000)))
      << refused.error_message();
  EXPECT_NE(refused.error_message().find("claim to be primary"), std::string::npos)
      << refused.error_message();
  for (int id = 1; id <= 20; ++id) {
    v1::ExecuteResponse response;
    grpc::Status status = client.Execute("INSERT INTO events (id) VALUES ($1)",
                                         {std::to_string(id)}, v1::INTENT_WRITE, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }
  // Neither primary received any of them.
  for (int node : {primary, rogue}) {
    PgConnection conn(stack->cluster->conninfo(node));
    ASSERT_TRUE(conn.ok()) << conn.error();
    EXPECT_EQ(conn.Scalar("SELECT count(*) FROM events WHERE id > 0"), "0") << "node " << node;
  }
  v1::Topology topology;
  ASSERT_TRUE(client.Topology(&topology).ok());
  EXPECT_EQ(topology.primary(), "");
  int fenced = 0;
  for (const v1::NodeStatus& node : topology.nodes()) {
    if (node.problem().find("fenced") != std::string::npos) ++fenced;
  }
  EXPECT_EQ(fenced, 2) << topology.DebugString();

  // Reads go on from the replica that still follows a primary.
  v1::ExecuteResponse read;
  grpc::Status status = client.Execute("SELECT count(*) FROM events", {}, v1::INTENT_READ, &read,
                                       created, milliseconds(5000));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(read.served_by().node(), "127.0.0.1:" + std::to_string(stack->cluster->port(replica)));

  // Once the rogue node is gone, the original primary takes writes again.
  stack->cluster->StopNode(rogue);
  ASSERT_TRUE(WaitFor(
      [&] {
        v1::ExecuteResponse response;
        return client
            .Execute("INSERT INTO events (id) VALUES (100) ON CONFLICT DO NOTHING", {},
                     v1::INTENT_WRITE, &response)
            .ok();
      },
      milliseconds(10000)));
  ASSERT_TRUE(client.Topology(&topology).ok());
  EXPECT_EQ(topology.primary(), "127.0.0.1:" + std::to_string(stack->cluster->port(primary)));
}

TEST(RouterChaosTest, StoppedReplicaLosesNoReadAndIsUsedAgainAfterRestart) {
  auto stack = RouterStack::Start();
  ASSERT_NE(stack, nullptr);
  RouterClient client = stack->Client();
  const uint64_t created = CreateEvents(client);
  ASSERT_GT(created, 0u);
  const int replica = stack->cluster->primary() == 1 ? 2 : 1;
  const std::string replica_name = "127.0.0.1:" + std::to_string(stack->cluster->port(replica));

  ReadLoad readers(*stack, 4, created);
  std::this_thread::sleep_for(milliseconds(500));
  stack->cluster->StopNode(replica);
  std::this_thread::sleep_for(milliseconds(1500));
  readers.ResetServed();
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(readers.served().count(replica_name), 0u) << "reads still sent to the stopped replica";

  stack->cluster->StartNode(replica);
  EXPECT_TRUE(WaitFor(
      [&] {
        v1::Topology topology;
        if (!client.Topology(&topology).ok()) return false;
        for (const auto& node : topology.nodes()) {
          if (node.name() == replica_name)
            return node.healthy() && node.role() == v1::NODE_ROLE_REPLICA;
        }
        return false;
      },
      milliseconds(10000)));
  readers.ResetServed();
  std::this_thread::sleep_for(milliseconds(1000));
  const auto served = readers.served();
  readers.Stop();
  EXPECT_GT(served.count(replica_name) ? served.at(replica_name) : 0, 0)
      << "the restarted replica is unused";
  std::cout << readers.reads() << " reads, " << readers.failures().size() << " failed\n";
  EXPECT_TRUE(readers.failures().empty()) << readers.failures().front();
}

TEST(RouterChaosTest, WithNoStandbyLeftWritesTimeOutAndReadsGoOn) {
  // synchronous_standby_names = 'ANY 1 (*)': with both replicas down a commit
  // waits for a standby forever. The router must honour the caller's deadline,
  // never report such a write as done, keep reading, and recover by itself.
  auto stack = RouterStack::Start();
  ASSERT_NE(stack, nullptr);
  RouterClient client = stack->Client();
  ASSERT_GT(CreateEvents(client), 0u);
  const int primary = stack->cluster->primary();
  for (int node = 0; node < 3; ++node) {
    if (node != primary) stack->cluster->StopNode(node);
  }
  for (int i = 0; i < 3; ++i) {
    v1::ExecuteResponse response;
    const auto start = Clock::now();
    grpc::Status status =
        client.Execute("INSERT INTO events (id) VALUES ($1)", {std::to_string(900000 + i)},
                       v1::INTENT_WRITE, &response, 0, milliseconds(1000));
    EXPECT_FALSE(status.ok()) << "a write was acknowledged without a standby";
    EXPECT_LT(Seconds(Clock::now() - start), 3.0);
  }
  {
    // A transaction whose server-side time limit passes while COMMIT waits for
    // a standby: cancelling that wait would leave the commit unreplicated and
    // reported as success. It must not come back OK.
    grpc::ClientContext context;
    client.Prepare(context, milliseconds(15000));
    v1::ExecuteTransactionRequest request;
    request.set_timeout_ms(1000);
    request.add_statements()->set_sql("INSERT INTO events (id) VALUES (920000)");
    v1::ExecuteTransactionResponse response;
    grpc::Status status = client.stub().ExecuteTransaction(&context, request, &response);
    EXPECT_FALSE(status.ok()) << "acknowledged with commit_lsn " << response.commit_lsn();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }
  // Reads fall back to the primary meanwhile.
  v1::ExecuteResponse read;
  grpc::Status status = client.Execute("SELECT count(*) FROM events", {}, v1::INTENT_READ, &read, 0,
                                       milliseconds(5000));
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(read.served_by().role(), v1::NODE_ROLE_PRIMARY);

  for (int node = 0; node < 3; ++node) {
    if (node != primary) stack->cluster->StartNode(node);
  }
  // Stuck commits complete once a standby is back; new writes succeed again.
  EXPECT_TRUE(WaitFor(
      [&] {
        v1::ExecuteResponse response;
        return client
            .Execute("INSERT INTO events (id) VALUES (910000) ON CONFLICT DO NOTHING", {},
                     v1::INTENT_WRITE, &response, 0, milliseconds(2000))
            .ok();
      },
      milliseconds(20000)));
}

TEST(RouterChaosTest, ListenFollowsThePrimaryAcrossFailover) {
  auto stack = RouterStack::Start();
  ASSERT_NE(stack, nullptr);
  RouterClient client = stack->Client();
  grpc::ClientContext context;
  client.Prepare(context, milliseconds(30000));
  v1::ListenRequest request;
  request.set_channel("chaos_channel");
  auto reader = client.stub().Listen(&context, request);
  v1::ListenEvent event;
  ASSERT_TRUE(reader->Read(&event));
  ASSERT_EQ(event.kind(), v1::ListenEvent::KIND_LISTENING);

  stack->cluster->Failover();
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), v1::ListenEvent::KIND_RESUMED);

  v1::ExecuteResponse response;
  ASSERT_TRUE(WaitFor(
      [&] {
        return client
            .Execute("SELECT pg_notify('chaos_channel', 'after')", {}, v1::INTENT_WRITE, &response)
            .ok();
      },
      milliseconds(10000)));
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), v1::ListenEvent::KIND_NOTIFICATION);
  EXPECT_EQ(event.payload(), "after");
  context.TryCancel();
  while (reader->Read(&event)) {
  }
  reader->Finish();
}

}  // namespace
}  // namespace taskgres::testing
