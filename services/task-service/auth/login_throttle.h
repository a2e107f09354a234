// Slows down password guessing: counts recent login attempts per username
// and refuses further ones for a while after too many failed.
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
  // After `max_failures` attempts within `window` that did not succeed, a
  // username is locked until the window ends. At most `max_tracked` usernames
  // are remembered; when full, expired and then unlocked entries make room.
  LoginThrottle(int max_failures, absl::Duration window, size_t max_tracked = 100'000)
      : max_failures_(max_failures), window_(window), max_tracked_(max_tracked) {}

  // Admits one attempt, counted as failed until RecordSuccess, so concurrent
  // guesses cannot slip past the limit while their hashes are checked.
  // RESOURCE_EXHAUSTED saying when to try again once the limit is reached.
  absl::Status Admit(const std::string& username, absl::Time now);
  // The admitted attempt was right: forget the username's count.
  void RecordSuccess(const std::string& username);

 private:
  struct Attempts {
    absl::Time window_start;
    int count = 0;
  };
  void MakeRoomLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const int max_failures_;
  const absl::Duration window_;
  const size_t max_tracked_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Attempts> attempts_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace taskgres::auth

#endif  // TASKGRES_TASK_SERVICE_AUTH_LOGIN_THROTTLE_H_
