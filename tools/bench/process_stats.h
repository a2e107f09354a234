// Resident memory and CPU time of server processes, read from /proc.
#ifndef TASKGRES_TOOLS_BENCH_PROCESS_STATS_H_
#define TASKGRES_TOOLS_BENCH_PROCESS_STATS_H_

#include <sys/types.h>

#include <vector>

namespace taskgres::bench {

struct ProcessSample {
  double rss_bytes = 0;
  double cpu_seconds = 0;
};

// Sums over `pids` and, with `children`, their descendants (pgpool forks a
// process per connection). Missing processes count as zero.
ProcessSample SampleProcesses(const std::vector<pid_t>& pids, bool children = false);

}  // namespace taskgres::bench

#endif  // TASKGRES_TOOLS_BENCH_PROCESS_STATS_H_
