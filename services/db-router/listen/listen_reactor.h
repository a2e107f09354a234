// The server side of one Listen stream: a bounded queue between the
// notification hub and the gRPC writes.
#ifndef TASKGRES_DB_ROUTER_LISTEN_LISTEN_REACTOR_H_
#define TASKGRES_DB_ROUTER_LISTEN_LISTEN_REACTOR_H_

#include <cstdint>
#include <deque>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_callback.h"
#include "listen/notification_hub.h"

namespace taskgres::router {

// Deletes itself when gRPC is done with the stream (the reactor idiom).
class ListenReactor : public grpc::ServerWriteReactor<v1::ListenEvent>, public NotificationSubscriber {
 public:
  // A subscriber further behind than `max_buffered` events is ended with
  // RESOURCE_EXHAUSTED rather than growing memory without bound.
  ListenReactor(NotificationHub& hub, const std::string& channel, size_t max_buffered);

  void Deliver(const v1::ListenEvent& event) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  NotificationHub& hub_;
  const size_t max_buffered_;
  uint64_t subscription_ = 0;
  absl::Mutex mutex_;
  std::deque<v1::ListenEvent> queue_ ABSL_GUARDED_BY(mutex_);  // front is being written
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  bool finishing_ ABSL_GUARDED_BY(mutex_) = false;  // no more events are accepted
  bool finish_sent_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_LISTEN_LISTEN_REACTOR_H_
