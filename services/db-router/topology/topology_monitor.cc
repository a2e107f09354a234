#include "topology/topology_monitor.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "logging/json_log.h"
#include "router_metrics.h"

namespace taskgres::router {
namespace {

// Addresses of `host`, IPv4 first: a name with both families would otherwise
// appear as two nodes for one server.
absl::StatusOr<std::vector<std::string>> ResolveHost(const std::string& host) {
  for (int family : {AF_INET, AF_INET6}) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc != 0) {
      if (family == AF_INET6) {
        return absl::UnavailableError(
            absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc)));
      }
      continue;
    }
    std::set<std::string> addresses;
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      char text[INET6_ADDRSTRLEN] = {};
      const void* raw =
          a->ai_family == AF_INET
              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
      if (inet_ntop(a->ai_family, raw, text, sizeof(text)) != nullptr) addresses.insert(text);
    }
    freeaddrinfo(found);
    if (!addresses.empty()) return std::vector<std::string>(addresses.begin(), addresses.end());
  }
  return absl::UnavailableError(absl::StrCat("cannot resolve ", host));
}

std::string NodeName(const std::string& address, int port) {
  return address.find(':') != std::string::npos ? absl::StrCat("[", address, "]:", port)
                                                : absl::StrCat(address, ":", port);
}

}  // namespace

const char* RoleName(NodeRole role) {
  switch (role) {
    case NodeRole::kPrimary:
      return "primary";
    case NodeRole::kReplica:
      return "replica";
    case NodeRole::kUnknown:
      return "unknown";
  }
  return "unknown";
}

absl::StatusOr<std::vector<HostSpec>> ParseHostList(absl::string_view list) {
  std::vector<HostSpec> hosts;
  for (absl::string_view item : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    HostSpec spec;
    absl::string_view port_text;
    if (absl::ConsumePrefix(&item, "[")) {
      const size_t close = item.find(']');
      if (close == absl::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat("bad host '", item, "': missing ']'"));
      }
      spec.host = std::string(item.substr(0, close));
      item.remove_prefix(close + 1);
      if (!item.empty() && !absl::ConsumePrefix(&item, ":")) {
        return absl::InvalidArgumentError(absl::StrCat("bad host: expected ':' after ']'"));
      }
      port_text = item;
    } else {
      const size_t colon = item.rfind(':');
      spec.host = std::string(item.substr(0, colon));
      if (colon != absl::string_view::npos) port_text = item.substr(colon + 1);
    }
    if (!port_text.empty() &&
        (!absl::SimpleAtoi(port_text, &spec.port) || spec.port <= 0 || spec.port > 65535)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad port '", port_text, "' for host ", spec.host));
    }
    if (spec.host.empty()) return absl::InvalidArgumentError("empty host name in the host list");
    hosts.push_back(std::move(spec));
  }
  if (hosts.empty()) return absl::InvalidArgumentError("no database hosts given (--db-hosts)");
  return hosts;
}

TopologyMonitor::TopologyMonitor(MonitorSettings settings, NodeFactory factory,
                                 RouterMetrics& metrics)
    : settings_(std::move(settings)), factory_(std::move(factory)), metrics_(metrics) {
  current_.store(std::make_shared<const Topology>());
}

TopologyMonitor::~TopologyMonitor() { Stop(); }

absl::Status TopologyMonitor::Start(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    ProbeRound();
    std::shared_ptr<const Topology> topology = Current();
    const bool any_healthy = std::any_of(topology->nodes.begin(), topology->nodes.end(),
                                         [](const NodeView& view) { return view.healthy; });
    if (any_healthy) break;
    if (absl::Now() >= deadline) {
      std::vector<std::string> problems;
      for (const NodeView& view : topology->nodes) {
        problems.push_back(absl::StrCat(view.node->name(), ": ", view.problem));
      }
      if (problems.empty()) problems.push_back(topology->no_primary_reason);
      return absl::UnavailableError(absl::StrCat("no PostgreSQL node answered within ",
                                                 absl::FormatDuration(timeout), " (",
                                                 absl::StrJoin(problems, "; "), ")"));
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void TopologyMonitor::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stop_ = true;
    wake_.Signal();
  }
  if (thread_.joinable()) thread_.join();
  for (auto& [name, tracked] : nodes_) tracked.node->Stop();
}

void TopologyMonitor::RequestProbe() {
  absl::MutexLock lock(&mutex_);
  probe_requested_ = true;
  wake_.Signal();
}

void TopologyMonitor::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      const absl::Time until = absl::Now() + settings_.probe_interval;
      while (!stop_ && !probe_requested_) {
        if (wake_.WaitWithDeadline(&mutex_, until)) break;
      }
      if (stop_) return;
      probe_requested_ = false;
    }
    ProbeRound();
  }
}

void TopologyMonitor::Resolve() {
  const absl::Time now = absl::Now();
  for (const HostSpec& spec : settings_.hosts) {
    absl::StatusOr<std::vector<std::string>> addresses =
        settings_.resolve ? settings_.resolve(spec.host) : ResolveHost(spec.host);
    if (!addresses.ok()) {
      // A failed lookup (resolver restarting, timeout) says nothing about the
      // name's addresses: its nodes stay as they were. Only an answer without
      // an address takes that node out of DNS.
      for (auto& [name, tracked] : nodes_) {
        if (tracked.host == spec.host) tracked.last_resolved = now;
      }
      if (unresolved_.insert(spec.host).second) {
        log::Warning("cannot resolve a database host; keeping its known nodes",
                     {{"host", spec.host}, {"error", std::string(addresses.status().message())}});
      }
      continue;
    }
    if (unresolved_.erase(spec.host) > 0) {
      log::Info("a database host resolves again", {{"host", spec.host}});
    }
    for (const std::string& address : *addresses) {
      const std::string name = NodeName(address, spec.port);
      auto [it, inserted] = nodes_.try_emplace(name);
      Tracked& tracked = it->second;
      if (inserted) {
        ConnectTarget target = settings_.credentials;
        target.host = spec.host;
        target.hostaddr = address;
        target.port = spec.port;
        tracked.node = factory_(name, target);
        tracked.prober = std::make_unique<NodeProber>(target);
        tracked.host = spec.host;
        log::Info("found a database node", {{"node", name}, {"host", spec.host}});
      }
      tracked.last_resolved = now;
      tracked.in_dns = true;
    }
  }
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    Tracked& tracked = it->second;
    tracked.in_dns = now - tracked.last_resolved < settings_.probe_interval * 4;
    if (!tracked.in_dns && now - tracked.last_resolved > settings_.forget_after &&
        tracked.node->in_flight() == 0) {
      log::Info("forgetting a database node no longer in DNS", {{"node", it->first}});
      tracked.node->Stop();
      metrics_.RemoveNode(it->first);
      it = nodes_.erase(it);
    } else {
      ++it;
    }
  }
}

void TopologyMonitor::ProbeRound() {
  Resolve();
  std::vector<NodeProber*> probers;
  std::vector<Tracked*> tracked;
  for (auto& [name, entry] : nodes_) {
    probers.push_back(entry.prober.get());
    tracked.push_back(&entry);
  }
  Publish(tracked, ProbeAll(probers, settings_.probe_timeout));
}

void TopologyMonitor::Publish(const std::vector<Tracked*>& tracked,
                              const std::vector<ProbeResult>& results) {
  const absl::Time now = absl::Now();
  auto topology = std::make_shared<Topology>();
  topology->probed_at = now;
  std::vector<int> claims;
  for (size_t i = 0; i < tracked.size(); ++i) {
    const ProbeResult& result = results[i];
    Node& node = *tracked[i]->node;
    NodeView view;
    view.node = tracked[i]->node;
    view.healthy = result.ok && tracked[i]->in_dns;
    view.lsn = result.lsn;
    view.probe_rtt = result.rtt;
    if (!tracked[i]->in_dns) {
      view.problem = "no longer in DNS";
    } else if (!result.ok) {
      view.problem = result.error;
    } else if (result.in_recovery) {
      view.role = NodeRole::kReplica;
    } else if (result.read_only) {
      view.problem = "not in recovery but read-only: not used as primary";
    } else {
      view.role = NodeRole::kPrimary;
      claims.push_back(static_cast<int>(i));
    }
    if (view.healthy) {
      node.ClearSuspect();
    } else {
      node.MarkSuspect();
    }
    topology->nodes.push_back(std::move(view));
  }

  if (claims.size() == 1) {
    topology->primary = claims.front();
  } else if (claims.size() > 1) {
    std::vector<std::string> names;
    for (int i : claims) {
      names.push_back(topology->nodes[i].node->name());
      topology->nodes[i].role = NodeRole::kUnknown;
      topology->nodes[i].healthy = false;
      topology->nodes[i].problem = "fenced: more than one node claims to be primary";
    }
    topology->no_primary_reason =
        absl::StrCat(claims.size(), " nodes claim to be primary (", absl::StrJoin(names, ", "),
                     "); writes are refused until only one does");
  } else {
    topology->no_primary_reason = "no reachable node is a writable primary";
  }

  // Fence first, then unfence: two nodes are never writable at once.
  Node* primary = topology->primary_node();
  for (NodeView& view : topology->nodes) {
    if (view.node.get() != primary) view.node->set_writable(false);
  }
  if (primary != nullptr) {
    if (primary != last_primary_) {
      lag_.Reset();
      if (last_primary_ != nullptr) {
        ++primary_changes_;
        metrics_.CountPrimaryChange();
      }
      log::Info("primary is now", {{"node", primary->name()}});
      last_primary_ = primary;
    }
    primary->set_writable(true);
    lag_.RecordPrimaryLsn(now, topology->nodes[topology->primary].lsn);
  }
  topology->primary_changes = primary_changes_;

  uint64_t reference = lag_.latest();
  for (const NodeView& view : topology->nodes) {
    if (view.role == NodeRole::kReplica) reference = std::max(reference, view.lsn);
  }
  for (size_t i = 0; i < topology->nodes.size(); ++i) {
    NodeView& view = topology->nodes[i];
    if (view.role == NodeRole::kReplica) {
      view.lag_bytes = reference > view.lsn ? reference - view.lsn : 0;
      view.lag_seconds = lag_.LagSeconds(view.lsn, now);
      if (view.healthy) topology->replicas.push_back(static_cast<int>(i));
    }
    // Replay positions only grow while a node stays a replica; across a
    // promotion or a rewind they may not, so trust the probe then.
    if (view.role == NodeRole::kReplica && tracked[i]->last_role == NodeRole::kReplica) {
      view.node->ObserveLsn(view.lsn);
    } else if (view.healthy) {
      view.node->ResetLsn(view.lsn);
    }
    tracked[i]->last_role = view.role;
    metrics_.SetNode(view.node->name(), RoleName(view.role), view.healthy,
                     static_cast<double>(view.lag_bytes), view.lag_seconds);
    const int open =
        view.node->read_pool().open_connections() + view.node->write_pool().open_connections();
    const int busy =
        view.node->read_pool().busy_connections() + view.node->write_pool().busy_connections();
    metrics_.SetPoolConnections(view.node->name(), std::max(0, open - busy), busy);
  }

  std::string problems = topology->primary < 0 ? topology->no_primary_reason : "";
  for (const NodeView& view : topology->nodes) {
    if (!view.problem.empty())
      absl::StrAppend(&problems, "; ", view.node->name(), ": ", view.problem);
  }
  if (problems != last_problem_log_) {
    if (!problems.empty()) log::Warning("cluster problem", {{"problems", problems}});
    last_problem_log_ = problems;
  }
  current_.store(std::move(topology), std::memory_order_release);
}

}  // namespace taskgres::router
