// Latency samples and the figures the benchmark prints.
#ifndef TASKGRES_TOOLS_BENCH_LATENCY_STATS_H_
#define TASKGRES_TOOLS_BENCH_LATENCY_STATS_H_

#include <cstdint>
#include <vector>

namespace taskgres::bench {

struct LatencySummary {
  uint64_t count = 0;
  double p50_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  double max_us = 0;
};

// Exact percentiles of `samples_us` (reordered in place). Nearest-rank.
LatencySummary Summarize(std::vector<uint32_t>& samples_us);

}  // namespace taskgres::bench

#endif  // TASKGRES_TOOLS_BENCH_LATENCY_STATS_H_
