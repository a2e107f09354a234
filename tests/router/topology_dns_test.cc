// DNS under a running db-router, against a real cluster: in Kubernetes a
// service's addresses change as pods come and go, and the cluster's resolver
// itself restarts now and then. The monitor runs in-process with a resolver
// the test controls; everything else (probes, pools) is real.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "router_metrics.h"
#include "routing/router.h"
#include "secrets/secret_file.h"
#include "support/local_cluster.h"
#include "topology/node.h"
#include "topology/topology_monitor.h"

namespace taskgres::testing {
namespace {

using router::NodeRole;
using router::Topology;

// Host name -> its addresses; a name without an entry fails to resolve.
class TestResolver {
 public:
  void Answer(const std::string& host, std::vector<std::string> addresses) {
    absl::MutexLock lock(&mutex_);
    answers_[host] = std::move(addresses);
  }
  void Fail(const std::string& host) {
    absl::MutexLock lock(&mutex_);
    answers_.erase(host);
  }
  absl::StatusOr<std::vector<std::string>> Resolve(const std::string& host) {
    absl::MutexLock lock(&mutex_);
    auto it = answers_.find(host);
    if (it == answers_.end()) return absl::UnavailableError("temporary failure in name resolution");
    return it->second;
  }

 private:
  absl::Mutex mutex_;
  std::map<std::string, std::vector<std::string>> answers_;
};

// The router's topology side wired as db-router's main does.
class RouterUnderTest {
 public:
  RouterUnderTest(const LocalCluster& cluster, TestResolver& resolver)
      : metrics_(registry_), router_(router::RouterSettings{}, metrics_) {
    router::MonitorSettings settings;
    for (int node = 0; node < 3; ++node) {
      settings.hosts.push_back({Name(node), cluster.port(node)});
    }
    settings.credentials.dbname = "taskgres";
    settings.credentials.user = "taskgres";
    settings.credentials.password = ReadSecretFile(cluster.password_file()).value_or("");
    settings.probe_interval = absl::Milliseconds(100);
    settings.forget_after = absl::Seconds(2);
    settings.resolve = [&resolver](const std::string& host) { return resolver.Resolve(host); };
    monitor_ = std::make_unique<router::TopologyMonitor>(
        settings,
        [this](std::string name, router::ConnectTarget target) {
          return std::make_shared<router::Node>(std::move(name), std::move(target), pool_, router_,
                                                metrics_);
        },
        metrics_);
    router_.SetTopology(monitor_.get());
  }
  ~RouterUnderTest() { monitor_->Stop(); }

  static std::string Name(int node) { return "node-" + std::to_string(node) + ".db.test"; }

  router::TopologyMonitor& monitor() { return *monitor_; }

  // The node dialled at `address`:`port` in the current topology, if any.
  std::optional<router::NodeView> Find(const std::string& address, int port) const {
    const std::string name = address + ":" + std::to_string(port);
    for (const router::NodeView& view : monitor_->Current()->nodes) {
      if (view.node->name() == name) return view;
    }
    return std::nullopt;
  }

  // Primary and both replicas healthy, and nothing else known.
  bool AllThreeServe() const {
    std::shared_ptr<const Topology> topology = monitor_->Current();
    if (topology->nodes.size() != 3 || topology->primary_node() == nullptr) return false;
    int replicas = 0;
    for (const router::NodeView& view : topology->nodes) {
      if (!view.healthy) return false;
      if (view.role == NodeRole::kReplica) ++replicas;
    }
    return replicas == 2;
  }

  std::string Describe() const {
    std::string text;
    for (const router::NodeView& view : monitor_->Current()->nodes) {
      text += view.node->name() + " " + router::RoleName(view.role) +
              (view.healthy ? " healthy" : " unhealthy") + " (" + view.problem + "); ";
    }
    return text;
  }

 private:
  prometheus::Registry registry_;
  router::RouterMetrics metrics_;
  router::Router router_;
  router::PoolSettings pool_;
  std::unique_ptr<router::TopologyMonitor> monitor_;
};

class TopologyDnsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = LocalCluster::Start().release(); }
  static void TearDownTestSuite() { delete cluster_; }
  void SetUp() override { ASSERT_NE(cluster_, nullptr); }

  static LocalCluster* cluster_;
};

LocalCluster* TopologyDnsTest::cluster_ = nullptr;

TEST_F(TopologyDnsTest, AResolverOutageKeepsEveryNodeServing) {
  TestResolver resolver;
  for (int node = 0; node < 3; ++node) resolver.Answer(RouterUnderTest::Name(node), {"127.0.0.1"});
  RouterUnderTest router(*cluster_, resolver);
  ASSERT_TRUE(router.monitor().Start(absl::Seconds(10)).ok());
  ASSERT_TRUE(WaitFor([&] { return router.AllThreeServe(); }, std::chrono::seconds(10)))
      << router.Describe();

  // Every lookup fails for 15 probe rounds (a node is out of DNS after 4
  // rounds without its address): nothing may change.
  for (int node = 0; node < 3; ++node) resolver.Fail(RouterUnderTest::Name(node));
  for (int check = 0; check < 30; ++check) {
    absl::SleepFor(absl::Milliseconds(50));
    ASSERT_TRUE(router.AllThreeServe())
        << "after " << (check + 1) * 50 << " ms without DNS: " << router.Describe();
  }
  for (int node = 0; node < 3; ++node) resolver.Answer(RouterUnderTest::Name(node), {"127.0.0.1"});
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_TRUE(router.AllThreeServe()) << router.Describe();
}

TEST_F(TopologyDnsTest, AddressesComingAndGoingAreFollowed) {
  TestResolver resolver;
  // Replica 2's name does not resolve yet (its pod is not ready).
  resolver.Answer(RouterUnderTest::Name(0), {"127.0.0.1"});
  resolver.Answer(RouterUnderTest::Name(1), {"127.0.0.1"});
  RouterUnderTest router(*cluster_, resolver);
  ASSERT_TRUE(router.monitor().Start(absl::Seconds(10)).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        std::optional<router::NodeView> replica = router.Find("127.0.0.1", cluster_->port(1));
        return replica.has_value() && replica->healthy && replica->role == NodeRole::kReplica;
      },
      std::chrono::seconds(10)))
      << router.Describe();
  EXPECT_FALSE(router.Find("127.0.0.1", cluster_->port(2)).has_value()) << router.Describe();

  // It resolves: it joins as a replica.
  resolver.Answer(RouterUnderTest::Name(2), {"127.0.0.1"});
  ASSERT_TRUE(WaitFor([&] { return router.AllThreeServe(); }, std::chrono::seconds(5)))
      << router.Describe();

  // Replica 1's name now answers with another address (its pod was replaced):
  // the old address leaves routing within a few rounds and is forgotten after
  // forget_after; the new one is probed (nothing listens there).
  resolver.Answer(RouterUnderTest::Name(1), {"127.0.0.9"});
  ASSERT_TRUE(WaitFor(
      [&] {
        std::optional<router::NodeView> old = router.Find("127.0.0.1", cluster_->port(1));
        return old.has_value() && !old->healthy && old->problem == "no longer in DNS";
      },
      std::chrono::seconds(3)))
      << router.Describe();
  std::optional<router::NodeView> fresh = router.Find("127.0.0.9", cluster_->port(1));
  ASSERT_TRUE(fresh.has_value()) << router.Describe();
  EXPECT_FALSE(fresh->healthy);
  ASSERT_TRUE(WaitFor([&] { return !router.Find("127.0.0.1", cluster_->port(1)).has_value(); },
                      std::chrono::seconds(5)))
      << router.Describe();
  // The primary and the other replica never stopped serving.
  std::optional<router::NodeView> primary =
      router.Find("127.0.0.1", cluster_->port(cluster_->primary()));
  ASSERT_TRUE(primary.has_value()) << router.Describe();
  EXPECT_TRUE(primary->healthy);
  EXPECT_EQ(primary->role, NodeRole::kPrimary);
  std::optional<router::NodeView> other = router.Find("127.0.0.1", cluster_->port(2));
  ASSERT_TRUE(other.has_value()) << router.Describe();
  EXPECT_TRUE(other->healthy) << router.Describe();
}

}  // namespace
}  // namespace taskgres::testing
