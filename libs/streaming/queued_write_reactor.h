// A server-streaming reactor with a bounded outgoing queue: producers on any
// thread Push messages; one write is in flight at a time; a consumer that
// falls too far behind is cut off instead of growing memory without bound.
#ifndef TASKGRES_LIBS_STREAMING_QUEUED_WRITE_REACTOR_H_
#define TASKGRES_LIBS_STREAMING_QUEUED_WRITE_REACTOR_H_

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "streaming/stream_registry.h"

namespace taskgres {

// Subclasses are created with `new` and delete themselves when gRPC is done
// with the call and no Hold is outstanding (the callback-API idiom); override
// OnStop for clean-up that must happen first (unsubscribing, stopping timers).
template <typename Message>
class QueuedWriteReactor : public grpc::ServerWriteReactor<Message> {
 public:
  // With a registry, the stream is ended when the server shuts down.
  explicit QueuedWriteReactor(size_t max_queued, StreamRegistry* registry = nullptr)
      : max_queued_(max_queued), registry_(registry) {
    if (registry_ != nullptr) {
      registration_ = registry_->Add([this](const grpc::Status& status) { FinishNow(status); });
    }
  }

  // Queues a message. Returns false when the stream is finishing; when the
  // queue is full, finishes the stream with OverflowStatus() and returns false.
  bool Push(Message message) { return Push(std::make_shared<const Message>(std::move(message))); }

  // The same for a message shared with other streams (fan-out keeps one copy).
  bool Push(std::shared_ptr<const Message> message) {
    absl::MutexLock lock(&mutex_);
    if (finishing_) return false;
    if (queue_.size() >= max_queued_) {
      FinishLocked(OverflowStatus(queue_.size()), /*drop_queued=*/true);
      return false;
    }
    queue_.push_back(std::move(message));
    if (!writing_ && !hold_writes_) StartWriteLocked();
    return true;
  }

  // Sends `pairs` as the stream's initial metadata, then lets held writes go.
  // False (nothing sent) when the stream is already ending or has sent its
  // metadata with a first message: gRPC allows one send, and none after Finish.
  bool SendInitialMetadata(grpc::CallbackServerContext* context,
                           const std::vector<std::pair<std::string, std::string>>& pairs) {
    absl::MutexLock lock(&mutex_);
    if (finishing_ || metadata_sent_) return false;
    for (const auto& [key, value] : pairs) context->AddInitialMetadata(key, value);
    metadata_sent_ = true;
    this->StartSendInitialMetadata();
    hold_writes_ = false;
    if (!writing_ && !queue_.empty()) StartWriteLocked();
    return true;
  }

  // Ends the stream once everything queued so far has been written.
  void FinishAfterQueued(const grpc::Status& status) {
    absl::MutexLock lock(&mutex_);
    FinishLocked(status, /*drop_queued=*/false);
  }

  // Ends the stream now; queued messages are dropped.
  void FinishNow(const grpc::Status& status) {
    absl::MutexLock lock(&mutex_);
    FinishLocked(status, /*drop_queued=*/true);
  }

  // True once the stream is ending (cancelled, finished or cut off).
  bool finishing() {
    absl::MutexLock lock(&mutex_);
    return finishing_;
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mutex_);
    writing_ = false;
    if (!queue_.empty()) queue_.pop_front();  // its write is over: it may go now
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream to the caller broke"),
                   true);
      return;
    }
    if (!queue_.empty() && !finish_sent_ && !hold_writes_) {
      StartWriteLocked();
      return;
    }
    if (finishing_ && !finish_sent_) SendFinishLocked();
  }

  void OnCancel() override {
    FinishNow(grpc::Status(grpc::StatusCode::CANCELLED, "the caller cancelled"));
  }

  void OnDone() override {
    if (registry_ != nullptr) registry_->Remove(registration_);
    OnStop();
    Release();  // gRPC's own reference
  }

  // Keeps the reactor alive across an asynchronous operation (a timer, a
  // database call) that will call back into it; each Hold needs a Release.
  void Hold() { references_.fetch_add(1, std::memory_order_relaxed); }
  void Release() {
    if (references_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 protected:
  // Runs once, when gRPC is done with the call; nothing may be pushed after it returns.
  virtual void OnStop() {}

  // Called (under the lock) when the stream starts finishing, for any reason.
  virtual void OnFinishing() {}

  // For subclasses' constructors: queue pushed messages until
  // SendInitialMetadata (or the end of the stream) instead of writing them,
  // so metadata the client waits for comes first.
  void HoldWritesUntilMetadata() {
    absl::MutexLock lock(&mutex_);
    hold_writes_ = true;
  }

  virtual grpc::Status OverflowStatus(size_t queued) const {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "the stream fell " + std::to_string(queued) +
                            " messages behind and was closed; subscribe again");
  }

 private:
  void FinishLocked(const grpc::Status& status, bool drop_queued)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (!finishing_) {
      finishing_ = true;
      status_ = status;
      OnFinishing();
    }
    if (drop_queued) {
      // The message being written must live until OnWriteDone.
      while (queue_.size() > (writing_ ? 1u : 0u)) queue_.pop_back();
    }
    hold_writes_ = false;  // ending: held messages go out (without the awaited metadata)
    if (!writing_ && !queue_.empty() && !finish_sent_) StartWriteLocked();
    if (!writing_ && queue_.empty() && !finish_sent_) SendFinishLocked();
  }

  void StartWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    writing_ = true;
    metadata_sent_ = true;  // the first write carries the initial metadata
    this->StartWrite(queue_.front().get());
  }

  void SendFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    finish_sent_ = true;
    this->Finish(status_);
  }

  const size_t max_queued_;
  StreamRegistry* const registry_;
  uint64_t registration_ = 0;
  std::atomic<int> references_{1};  // gRPC's, plus one per Hold
  absl::Mutex mutex_;
  std::deque<std::shared_ptr<const Message>> queue_
      ABSL_GUARDED_BY(mutex_);  // front is being written when writing_
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  bool finishing_ ABSL_GUARDED_BY(mutex_) = false;
  bool finish_sent_ ABSL_GUARDED_BY(mutex_) = false;
  bool metadata_sent_ ABSL_GUARDED_BY(mutex_) = false;
  bool hold_writes_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace taskgres

#endif  // TASKGRES_LIBS_STREAMING_QUEUED_WRITE_REACTOR_H_
