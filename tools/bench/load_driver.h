// Closed-loop load: N clients, each starting its next operation as soon as
// the previous one finishes, for a warm-up and then a measured period.
#ifndef TASKGRES_TOOLS_BENCH_LOAD_DRIVER_H_
#define TASKGRES_TOOLS_BENCH_LOAD_DRIVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace taskgres::bench {

// An asynchronous operation. Issue starts one for `client`; `done` must be
// called exactly once, from any thread, with whether it succeeded.
class AsyncOp {
 public:
  using Done = absl::AnyInvocable<void(bool ok, const std::string& error)>;
  virtual ~AsyncOp() = default;
  virtual void Issue(int client, Done done) = 0;
};

// A blocking operation with per-client state (e.g. a connection), run on a
// thread of its own per client.
class BlockingClient {
 public:
  virtual ~BlockingClient() = default;
  // One operation; false (and *error) on failure.
  virtual bool RunOnce(std::string* error) = 0;
};

struct LoadOptions {
  int concurrency = 1;
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration duration = absl::Seconds(5);
};

struct LoadOutcome {
  double seconds = 0;
  uint64_t ops = 0;     // completed in the measured period
  uint64_t errors = 0;  // of which failed
  std::vector<uint32_t> latencies_us;
  std::string first_error;
};

LoadOutcome RunAsync(AsyncOp& op, const LoadOptions& options);

// `make_client(i)` builds client i's state on its own thread; a null client
// counts as an error for the whole run.
LoadOutcome RunBlocking(const std::function<std::unique_ptr<BlockingClient>(int)>& make_client,
                        const LoadOptions& options);

}  // namespace taskgres::bench

#endif  // TASKGRES_TOOLS_BENCH_LOAD_DRIVER_H_
