#include "auth/login_throttle.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace taskgres::auth {

absl::Status LoginThrottle::Check(const std::string& username, absl::Time now) {
  absl::MutexLock lock(&mutex_);
  auto it = failures_.find(username);
  if (it == failures_.end()) return absl::OkStatus();
  const absl::Time reopens = it->second.window_start + window_;
  if (now >= reopens) {
    failures_.erase(it);
    return absl::OkStatus();
  }
  if (it->second.count < max_failures_) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("too many failed logins for this account; try again in ",
                   static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(reopens - now))), " s"));
}

void LoginThrottle::RecordFailure(const std::string& username, absl::Time now) {
  absl::MutexLock lock(&mutex_);
  if (failures_.size() >= max_tracked_ && !failures_.contains(username)) failures_.clear();
  Failures& entry = failures_[username];
  if (entry.count == 0 || now >= entry.window_start + window_) {
    entry.window_start = now;
    entry.count = 0;
  }
  ++entry.count;
}

void LoginThrottle::RecordSuccess(const std::string& username) {
  absl::MutexLock lock(&mutex_);
  failures_.erase(username);
}

}  // namespace taskgres::auth
