// The open long-lived streams of a server, so shutdown can end them at once
// (with UNAVAILABLE, telling clients to reconnect elsewhere) instead of
// waiting out the drain timeout.
#ifndef TASKGRES_LIBS_STREAMING_STREAM_REGISTRY_H_
#define TASKGRES_LIBS_STREAMING_STREAM_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/status.h"

namespace taskgres {

class StreamRegistry {
 public:
  using Ender = std::function<void(const grpc::Status&)>;

  // Registers a stream; `end` finishes it. Returns 0 (and ends it at once)
  // when the registry is already closed.
  uint64_t Add(Ender end) {
    absl::MutexLock lock(&mutex_);
    if (closed_) {
      end(closed_status_);
      return 0;
    }
    const uint64_t id = next_id_++;
    streams_.emplace(id, std::move(end));
    return id;
  }

  void Remove(uint64_t id) {
    absl::MutexLock lock(&mutex_);
    streams_.erase(id);
  }

  // Ends every stream, now and from now on.
  void CloseAll(const grpc::Status& status) {
    absl::MutexLock lock(&mutex_);
    closed_ = true;
    closed_status_ = status;
    for (auto& [id, end] : streams_) end(status);
  }

 private:
  absl::Mutex mutex_;
  std::map<uint64_t, Ender> streams_ ABSL_GUARDED_BY(mutex_);
  uint64_t next_id_ ABSL_GUARDED_BY(mutex_) = 1;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::Status closed_status_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace taskgres

#endif  // TASKGRES_LIBS_STREAMING_STREAM_REGISTRY_H_
