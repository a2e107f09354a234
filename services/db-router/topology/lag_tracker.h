// Replication lag in seconds from LSNs alone, correct when the primary is idle.
#ifndef TASKGRES_DB_ROUTER_TOPOLOGY_LAG_TRACKER_H_
#define TASKGRES_DB_ROUTER_TOPOLOGY_LAG_TRACKER_H_

#include <cstdint>
#include <deque>
#include <utility>

#include "absl/time/time.h"

namespace taskgres::router {

// Remembers when the primary first reached each observed LSN. A replica's lag
// is how long the primary has had WAL the replica has not replayed: zero when
// it has replayed everything seen (even if nothing was written for hours).
class LagTracker {
 public:
  explicit LagTracker(absl::Duration window = absl::Minutes(10)) : window_(window) {}

  // The primary was at `lsn` at `when` (calls in time order).
  void RecordPrimaryLsn(absl::Time when, uint64_t lsn);

  // Seconds a node that replayed up to `replayed` is behind at `now`.
  double LagSeconds(uint64_t replayed, absl::Time now) const;

  // The newest primary LSN seen (0 if none).
  uint64_t latest() const { return samples_.empty() ? 0 : samples_.back().second; }

  // Forgets everything (the primary changed).
  void Reset() { samples_.clear(); }

 private:
  absl::Duration window_;
  std::deque<std::pair<absl::Time, uint64_t>> samples_;  // strictly increasing LSNs
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_TOPOLOGY_LAG_TRACKER_H_
