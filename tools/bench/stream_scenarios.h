// Streaming scenarios through task-service: WatchTasks fan-out and fortune
// generators. Each runs once (not per concurrency level) and returns its row.
#ifndef TASKGRES_TOOLS_BENCH_STREAM_SCENARIOS_H_
#define TASKGRES_TOOLS_BENCH_STREAM_SCENARIOS_H_

#include "absl/status/statusor.h"
#include "scenario.h"

namespace taskgres::bench {

// `subscribers` WatchTasks streams on one user, one writer creating
// `writes_per_second` tasks: delivery latency (create sent -> event received)
// and task-service memory growth.
absl::StatusOr<Row> RunWatchFanout(const Targets& targets, int subscribers, int writes_per_second);

// `generators` users each running GenerateFortunes at `interval_ms`: the gap
// between consecutive fortunes of a stream, and how many came later than
// twice the interval.
absl::StatusOr<Row> RunFortunes(const Targets& targets, int generators, int interval_ms);

}  // namespace taskgres::bench

#endif  // TASKGRES_TOOLS_BENCH_STREAM_SCENARIOS_H_
