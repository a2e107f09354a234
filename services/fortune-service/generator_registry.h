// At most one fortune generator per owner, across this instance.
#ifndef TASKGRES_FORTUNE_SERVICE_GENERATOR_REGISTRY_H_
#define TASKGRES_FORTUNE_SERVICE_GENERATOR_REGISTRY_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

namespace taskgres::fortune {

class GeneratorRegistry {
 public:
  // True when `owner` had no generator and now has one.
  bool TryAcquire(const std::string& owner) {
    absl::MutexLock lock(&mutex_);
    return owners_.insert(owner).second;
  }
  void Release(const std::string& owner) {
    absl::MutexLock lock(&mutex_);
    owners_.erase(owner);
  }
  size_t active() {
    absl::MutexLock lock(&mutex_);
    return owners_.size();
  }

 private:
  absl::Mutex mutex_;
  absl::flat_hash_set<std::string> owners_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace taskgres::fortune

#endif  // TASKGRES_FORTUNE_SERVICE_GENERATOR_REGISTRY_H_
