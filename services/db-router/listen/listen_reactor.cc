#include "listen/listen_reactor.h"

#include "absl/strings/str_cat.h"

namespace taskgres::router {

ListenReactor::ListenReactor(NotificationHub& hub, const std::string& channel, size_t max_buffered)
    : hub_(hub), max_buffered_(max_buffered) {
  subscription_ = hub_.Subscribe(channel, this);
}

void ListenReactor::Deliver(const v1::ListenEvent& event) {
  absl::MutexLock lock(&mutex_);
  if (finishing_) return;
  if (queue_.size() >= max_buffered_) {
    FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                              absl::StrCat("the listener fell ", queue_.size(),
                                           " notifications behind; listen again and resynchronise")));
    return;
  }
  queue_.push_back(event);
  if (!writing_) {
    writing_ = true;
    StartWrite(&queue_.front());
  }
}

void ListenReactor::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mutex_);
  writing_ = false;
  if (!queue_.empty()) queue_.pop_front();  // the written message may go now
  if (!ok) {
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream broke"));
    return;
  }
  if (finishing_) {
    FinishLocked(final_status_);
  } else if (!queue_.empty()) {
    writing_ = true;
    StartWrite(&queue_.front());
  }
}

// Finishes now, or right after the write in flight (whose message must live until then).
void ListenReactor::FinishLocked(const grpc::Status& status) {
  if (!finishing_) {
    finishing_ = true;
    final_status_ = status;
  }
  if (writing_ || finish_sent_) return;
  queue_.clear();
  finish_sent_ = true;
  Finish(final_status_);
}

void ListenReactor::OnCancel() {
  absl::MutexLock lock(&mutex_);
  FinishLocked(grpc::Status::CANCELLED);
}

void ListenReactor::OnDone() {
  hub_.Unsubscribe(subscription_);  // after this, Deliver is never called again
  delete this;
}

}  // namespace taskgres::router
