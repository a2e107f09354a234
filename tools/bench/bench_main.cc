// taskgres-bench: runs scenarios at several concurrency levels and prints a
// table, plus CSV, JSON and an SVG chart. Started by `./taskgres bench`,
// which brings up the system under test and passes its addresses.
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "direct_scenarios.h"
#include "flags/env_flags.h"
#include "load_driver.h"
#include "process_stats.h"
#include "report.h"
#include "router_scenarios.h"
#include "secrets/secret_file.h"
#include "stack_scenarios.h"
#include "stream_scenarios.h"
#include "target_check.h"

ABSL_FLAG(std::string, scenarios,
          "router-read,direct-read,pgpool-read,pgpool-read-simple,router-write,direct-write,"
          "direct-write-notify,router-ryw,stack-create,stack-list,watch-fanout,fortunes",
          "Scenarios to run, comma-separated");
ABSL_FLAG(std::string, concurrency, "1,4,16,64", "Concurrent clients for the load scenarios");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "Warm-up before each measured run");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "Length of each measured run");
ABSL_FLAG(std::string, router, "127.0.0.1:50053", "db-router address");
ABSL_FLAG(std::string, service_token_file, "", "File with the internal service credential");
ABSL_FLAG(std::string, task_service, "127.0.0.1:50051", "task-service address");
ABSL_FLAG(std::string, replicas, "", "libpq conninfo of each replica, separated by ';'");
ABSL_FLAG(std::string, primary, "", "libpq conninfo of the primary");
ABSL_FLAG(std::string, pgpool, "",
          "libpq conninfo through pgpool-II (empty: pgpool scenarios are skipped)");
ABSL_FLAG(int, router_pid, 0, "db-router PID (memory and CPU)");
ABSL_FLAG(int, task_pid, 0, "task-service PID");
ABSL_FLAG(int, fortune_pid, 0, "fortune-service PID");
ABSL_FLAG(int, pgpool_pid, 0, "pgpool-II parent PID (its children are counted too)");
ABSL_FLAG(int, watch_subscribers, 1000, "WatchTasks streams in watch-fanout");
ABSL_FLAG(int, watch_writes_per_second, 20, "Tasks created per second in watch-fanout");
ABSL_FLAG(int, fortune_generators, 50, "Generators in the fortunes scenario");
ABSL_FLAG(int, fortune_interval_ms, 100, "Interval of each generator");
ABSL_FLAG(std::string, out, "bench-results", "Directory for results.csv, results.json, chart.svg");

namespace taskgres::bench {
namespace {

struct Measured {
  LoadOutcome outcome;
  ProcessSample before;
  ProcessSample after;
};

Row ToRow(const std::string& scenario, int clients, Measured& measured, bool has_server) {
  Row row;
  row.scenario = scenario;
  row.clients = clients;
  row.ops_per_second =
      static_cast<double>(measured.outcome.ops) / std::max(1e-9, measured.outcome.seconds);
  row.latency = Summarize(measured.outcome.latencies_us);
  row.errors = measured.outcome.errors;
  row.first_error = measured.outcome.first_error;
  if (has_server) {
    row.server_rss_mib = measured.after.rss_bytes / (1024.0 * 1024.0);
    // The sample spans warm-up and run; the run dominates.
    row.server_cpu_percent = 100.0 * (measured.after.cpu_seconds - measured.before.cpu_seconds) /
                             std::max(1e-9, measured.outcome.seconds);
  }
  return row;
}

int Main(int argc, char** argv) {
  // As in the services: Debian's Abseil would check every lock for cycles,
  // and the load generator must cost as little CPU as it can.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  ParseFlagsOrExit(
      argc, argv,
      "taskgres-bench: load scenarios against a running taskgres (see ./taskgres bench)");
  Targets targets;
  targets.router = absl::GetFlag(FLAGS_router);
  targets.task_service = absl::GetFlag(FLAGS_task_service);
  if (!absl::GetFlag(FLAGS_service_token_file).empty()) {
    auto token = ReadSecretFile(absl::GetFlag(FLAGS_service_token_file));
    if (!token.ok()) {
      std::cerr << "bench: " << token.status().message() << "\n";
      return 2;
    }
    targets.service_token = *token;
  }
  targets.replica_conninfo = absl::StrSplit(absl::GetFlag(FLAGS_replicas), ';', absl::SkipEmpty());
  targets.primary_conninfo = absl::GetFlag(FLAGS_primary);
  targets.pgpool_conninfo = absl::GetFlag(FLAGS_pgpool);
  targets.router_pid = absl::GetFlag(FLAGS_router_pid);
  targets.task_pid = absl::GetFlag(FLAGS_task_pid);
  targets.fortune_pid = absl::GetFlag(FLAGS_fortune_pid);
  targets.pgpool_pid = absl::GetFlag(FLAGS_pgpool_pid);
  targets.warmup = absl::GetFlag(FLAGS_warmup);
  targets.duration = absl::GetFlag(FLAGS_duration);

  std::vector<int> levels;
  for (absl::string_view level :
       absl::StrSplit(absl::GetFlag(FLAGS_concurrency), ',', absl::SkipEmpty())) {
    int value = 0;
    if (!absl::SimpleAtoi(level, &value) || value < 1) {
      std::cerr << "bench: bad --concurrency entry '" << level << "'\n";
      return 2;
    }
    levels.push_back(value);
  }
  const std::vector<std::string> scenarios =
      absl::StrSplit(absl::GetFlag(FLAGS_scenarios), ',', absl::SkipEmpty());
  LoadOptions options;
  options.warmup = targets.warmup;
  options.duration = targets.duration;

  if (absl::Status prepared = PrepareBenchTables(targets); !prepared.ok()) {
    std::cerr << "bench: " << prepared.message() << "\n";
    return 1;
  }
  std::vector<std::string> stack_tokens;
  std::string lister_token;

  // Before any load: the idle-memory target.
  std::map<std::string, double> idle_rss_mib;
  for (const auto& [service, pid] : {std::pair<const char*, pid_t>{"db-router", targets.router_pid},
                                     {"task-service", targets.task_pid},
                                     {"fortune-service", targets.fortune_pid}}) {
    if (pid != 0) idle_rss_mib[service] = SampleProcesses({pid}).rss_bytes / (1 << 20);
  }

  std::vector<Row> rows;
  auto report_progress = [&](const Row& row) {
    std::cerr << FormatTable({row}).substr(FormatTable({}).size());
    rows.push_back(row);
  };
  for (const std::string& scenario : scenarios) {
    if (scenario == "watch-fanout" || scenario == "fortunes") {
      absl::StatusOr<Row> row =
          scenario == "watch-fanout"
              ? RunWatchFanout(targets, absl::GetFlag(FLAGS_watch_subscribers),
                               absl::GetFlag(FLAGS_watch_writes_per_second))
              : RunFortunes(targets, absl::GetFlag(FLAGS_fortune_generators),
                            absl::GetFlag(FLAGS_fortune_interval_ms));
      if (!row.ok()) {
        std::cerr << "bench: " << scenario << ": " << row.status().message() << "\n";
        return 1;
      }
      report_progress(*row);
      continue;
    }
    if ((scenario == "pgpool-read" || scenario == "pgpool-read-simple") &&
        targets.pgpool_conninfo.empty()) {
      std::cerr << "bench: skipping " << scenario << " (no --pgpool)\n";
      continue;
    }
    if (scenario.rfind("stack-", 0) == 0 && stack_tokens.empty()) {
      auto tokens =
          LoginUsers(targets.task_service, "bench-stack",
                     levels.empty() ? 1 : *std::max_element(levels.begin(), levels.end()));
      auto lister = LoginUsers(targets.task_service, "bench-lister", 1);
      if (!tokens.ok() || !lister.ok()) {
        std::cerr << "bench: cannot log in: "
                  << (tokens.ok() ? lister.status() : tokens.status()).message() << "\n";
        return 1;
      }
      stack_tokens = *tokens;
      lister_token = lister->front();
      if (absl::Status filled = EnsureTasks(targets.task_service, lister_token, 100);
          !filled.ok()) {
        std::cerr << "bench: " << filled.message() << "\n";
        return 1;
      }
    }
    for (int clients : levels) {
      options.concurrency = clients;
      std::vector<pid_t> server;
      bool children = false;
      Measured measured;
      std::string note;
      std::map<std::string, double> figures;
      std::function<LoadOutcome()> run;
      if (scenario == "router-read" || scenario == "router-write" || scenario == "router-ryw" ||
          scenario == "router-ping") {
        server = {targets.router_pid};
        run = [&] {
          if (scenario == "router-ping") {
            RouterPing op(targets);
            return RunAsync(op, options);
          }
          if (scenario == "router-read") {
            RouterRead op(targets);
            return RunAsync(op, options);
          }
          if (scenario == "router-write") {
            RouterWrite op(targets);
            return RunAsync(op, options);
          }
          RouterReadYourWrites op(targets);
          LoadOutcome outcome = RunAsync(op, options);
          note = op.Note();
          figures = op.Figures();
          return outcome;
        };
      } else if (scenario == "router-read-sync") {
        server = {targets.router_pid};
        run = [&] {
          return RunBlocking([&](int) { return NewBlockingRouterReader(targets); }, options);
        };
      } else if (scenario == "direct-read" || scenario == "direct-write" ||
                 scenario == "direct-write-notify" || scenario == "pgpool-read" ||
                 scenario == "pgpool-read-simple") {
        const bool pgpool = scenario.rfind("pgpool", 0) == 0;
        if (pgpool) {
          server = {targets.pgpool_pid};
          children = true;
        }
        const DirectQuery query = scenario == "direct-write"          ? DirectQuery::kInsert
                                  : scenario == "direct-write-notify" ? DirectQuery::kInsertNotify
                                  : scenario == "pgpool-read-simple" ? DirectQuery::kPointReadSimple
                                                                     : DirectQuery::kPointRead;
        run = [&, pgpool, query] {
          return RunBlocking(
              [&, pgpool, query](int client) {
                // Direct reads alternate between the replicas, as the router's do.
                const std::string& conninfo =
                    pgpool ? targets.pgpool_conninfo
                    : query == DirectQuery::kInsert || query == DirectQuery::kInsertNotify
                        ? targets.primary_conninfo
                        : targets.replica_conninfo[client % targets.replica_conninfo.size()];
                return NewDirectClient(conninfo, query, client);
              },
              options);
        };
      } else if (scenario == "stack-create" || scenario == "stack-list") {
        server = {targets.task_pid};
        run = [&] {
          if (scenario == "stack-create") {
            StackCreate op(targets.task_service, stack_tokens);
            return RunAsync(op, options);
          }
          StackList op(targets.task_service, lister_token);
          return RunAsync(op, options);
        };
      } else {
        std::cerr << "bench: unknown scenario '" << scenario << "'\n";
        return 2;
      }
      measured.before = SampleProcesses(server, children);
      measured.outcome = run();
      measured.after = SampleProcesses(server, children);
      Row row = ToRow(scenario, clients, measured, !server.empty() && server.front() != 0);
      row.note = note;
      row.figures = figures;
      report_progress(row);
    }
  }

  std::cout << "\n" << FormatTable(rows);
  std::cout << "\n" << FormatTargets(CheckTargets(rows, idle_rss_mib));
  const std::string out = absl::GetFlag(FLAGS_out);
  std::filesystem::create_directories(out);
  std::ofstream(out + "/results.csv") << FormatCsv(rows);
  std::ofstream(out + "/results.json") << FormatJson(rows);
  std::ofstream(out + "/chart.svg") << FormatSvg(rows);
  std::cout << "\nwrote " << out << "/results.csv, results.json and chart.svg\n";
  return 0;
}

}  // namespace
}  // namespace taskgres::bench

int main(int argc, char** argv) { return taskgres::bench::Main(argc, argv); }
