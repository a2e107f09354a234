#include "topology/lag_tracker.h"

#include <algorithm>

namespace taskgres::router {

void LagTracker::RecordPrimaryLsn(absl::Time when, uint64_t lsn) {
  if (samples_.empty() || lsn > samples_.back().second) samples_.emplace_back(when, lsn);
  // Keep the newest sample even when it is older than the window: it answers "caught up?".
  while (samples_.size() > 1 && when - samples_.front().first > window_) samples_.pop_front();
}

double LagTracker::LagSeconds(uint64_t replayed, absl::Time now) const {
  // The first moment the primary had something beyond `replayed`.
  auto it = std::upper_bound(samples_.begin(), samples_.end(), replayed,
                             [](uint64_t lsn, const auto& sample) { return lsn < sample.second; });
  if (it == samples_.end()) return 0;
  return std::max(0.0, absl::ToDoubleSeconds(now - it->first));
}

}  // namespace taskgres::router
