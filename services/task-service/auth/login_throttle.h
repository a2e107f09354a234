// Slows down password guessing: counts recent failed logins per username and
// refuses further attempts for a while after too many.
#ifndef TASKGRES_TASK_SERVICE_AUTH_LOGIN_THROTTLE_H_
#define TASKGRES_TASK_SERVICE_AUTH_LOGIN_THROTTLE_H_

#include <cstddef>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace taskgres::auth {

class LoginThrottle {
 public:
  // After `max_failures` failures within `window`, a username is locked until
  // the oldest of them leaves the window. At most `max_tracked` usernames are
  // remembered (the map is cleared when full, so memory stays bounded).
  LoginThrottle(int max_failures, absl::Duration window, size_t max_tracked = 100'000)
      : max_failures_(max_failures), window_(window), max_tracked_(max_tracked) {}

  // OK, or RESOURCE_EXHAUSTED saying when to try again.
  absl::Status Check(const std::string& username, absl::Time now);
  void RecordFailure(const std::string& username, absl::Time now);
  void RecordSuccess(const std::string& username);

 private:
  struct Failures {
    absl::Time window_start;
    int count = 0;
  };
  const int max_failures_;
  const absl::Duration window_;
  const size_t max_tracked_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Failures> failures_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace taskgres::auth

#endif  // TASKGRES_TASK_SERVICE_AUTH_LOGIN_THROTTLE_H_
