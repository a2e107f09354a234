#include "auth/login_throttle.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace taskgres::auth {

absl::Status LoginThrottle::Admit(const std::string& username, absl::Time now) {
  absl::MutexLock lock(&mutex_);
  auto it = attempts_.find(username);
  if (it == attempts_.end()) {
    if (attempts_.size() >= max_tracked_) MakeRoomLocked(now);
    it = attempts_.emplace(username, Attempts{now, 0}).first;
  } else if (now >= it->second.window_start + window_) {
    it->second = Attempts{now, 0};
  }
  Attempts& entry = it->second;
  if (entry.count >= max_failures_) {
    const absl::Time reopens = entry.window_start + window_;
    return absl::ResourceExhaustedError(
        absl::StrCat("too many failed logins for this account; try again in ",
                     static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(reopens - now))), " s"));
  }
  ++entry.count;
  return absl::OkStatus();
}

void LoginThrottle::RecordSuccess(const std::string& username) {
  absl::MutexLock lock(&mutex_);
  attempts_.erase(username);
}

void LoginThrottle::MakeRoomLocked(absl::Time now) {
  // Expired windows first, then accounts that are not locked; locks survive
  // as long as anything else can go, so flooding with names does not reset them.
  absl::erase_if(attempts_,
                 [&](const auto& entry) { return now >= entry.second.window_start + window_; });
  if (attempts_.size() < max_tracked_) return;
  absl::erase_if(attempts_, [&](const auto& entry) { return entry.second.count < max_failures_; });
  if (attempts_.size() >= max_tracked_) attempts_.clear();
}

}  // namespace taskgres::auth
