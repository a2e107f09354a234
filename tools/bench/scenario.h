// What a benchmark scenario reports, and the context scenarios run in.
#ifndef TASKGRES_TOOLS_BENCH_SCENARIO_H_
#define TASKGRES_TOOLS_BENCH_SCENARIO_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "latency_stats.h"

namespace taskgres::bench {

// Where the system under test is (filled from flags by main).
struct Targets {
  std::string router;                         // db-router address
  std::string service_token;                  // the internal credential
  std::string task_service;                   // task-service address
  std::vector<std::string> replica_conninfo;  // libpq, one per replica
  std::string primary_conninfo;               // libpq
  std::string pgpool_conninfo;  // libpq through pgpool-II (empty: skip pgpool scenarios)
  pid_t router_pid = 0;
  pid_t task_pid = 0;
  pid_t fortune_pid = 0;
  pid_t pgpool_pid = 0;
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration duration = absl::Seconds(5);
};

// One row of the results table.
struct Row {
  std::string scenario;
  int clients = 0;
  double ops_per_second = 0;
  LatencySummary latency;
  uint64_t errors = 0;
  double server_rss_mib = 0;  // of the process under test (0: not measured)
  double server_cpu_percent = 0;
  std::string note;  // scenario-specific figures, for people
  // The same figures for the target check, e.g. "replica_share" (0-1).
  std::map<std::string, double> figures;
  std::string first_error;
};

}  // namespace taskgres::bench

#endif  // TASKGRES_TOOLS_BENCH_SCENARIO_H_
