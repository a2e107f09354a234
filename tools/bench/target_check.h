// The performance targets taskgres is held to, judged from one run's rows, so
// every `./taskgres bench` says which hold on the machine it ran on.
#ifndef TASKGRES_TOOLS_BENCH_TARGET_CHECK_H_
#define TASKGRES_TOOLS_BENCH_TARGET_CHECK_H_

#include <map>
#include <string>
#include <vector>

#include "scenario.h"

namespace taskgres::bench {

struct TargetVerdict {
  enum class Result { kMet, kMissed, kNotMeasured };
  std::string target;    // e.g. "router-read at 64 clients >= 0.45x direct-read"
  std::string measured;  // the figure, or what to run to get it
  Result result = Result::kNotMeasured;
};

// `idle_rss_mib`: each service's resident memory before any load, by name.
std::vector<TargetVerdict> CheckTargets(const std::vector<Row>& rows,
                                        const std::map<std::string, double>& idle_rss_mib);

std::string FormatTargets(const std::vector<TargetVerdict>& verdicts);

}  // namespace taskgres::bench

#endif  // TASKGRES_TOOLS_BENCH_TARGET_CHECK_H_
