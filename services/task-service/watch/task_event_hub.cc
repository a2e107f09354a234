#include "watch/task_event_hub.h"

#include "absl/time/clock.h"
#include "db/schema.h"
#include "logging/json_log.h"
#include "tasks/task_row.h"

namespace taskgres::tasks {

TaskEventHub::~TaskEventHub() { Stop(); }

void TaskEventHub::Start() {
  thread_ = std::thread([this] { Run(); });
}

void TaskEventHub::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    if (stop_) return;
    stop_ = true;
    if (current_call_ != nullptr) current_call_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

std::optional<uint64_t> TaskEventHub::Subscribe(const std::string& owner,
                                                TaskEventSubscriber* subscriber) {
  absl::MutexLock lock(&mutex_);
  if (!listening_) return std::nullopt;
  const uint64_t id = next_id_++;
  subscriptions_[id] = Subscription{owner, subscriber};
  return id;
}

void TaskEventHub::Unsubscribe(uint64_t id) {
  absl::MutexLock lock(&mutex_);
  subscriptions_.erase(id);
}

void TaskEventHub::Dispatch(const std::shared_ptr<const v1::TaskEvent>& event) {
  absl::MutexLock lock(&mutex_);
  for (auto& [id, subscription] : subscriptions_) {
    if (subscription.owner == "*" || subscription.owner == event->task().owner()) {
      subscription.subscriber->Deliver(event);
    }
  }
}

void TaskEventHub::SetListening() {
  absl::MutexLock lock(&mutex_);
  listening_ = true;
}

void TaskEventHub::LoseAll(const grpc::Status& status, bool still_listening) {
  absl::MutexLock lock(&mutex_);
  listening_ = still_listening;
  for (auto& [id, subscription] : subscriptions_) subscription.subscriber->Lost(status);
  subscriptions_.clear();
}

void TaskEventHub::Run() {
  while (true) {
    grpc::ClientContext context;
    {
      absl::MutexLock lock(&mutex_);
      if (stop_) return;
      current_call_ = &context;
    }
    db_.PrepareStreamContext(context);
    v1::ListenRequest request;
    request.set_channel(kTaskEventsChannel);
    std::unique_ptr<grpc::ClientReader<v1::ListenEvent>> reader =
        db_.stub().Listen(&context, request);
    v1::ListenEvent event;
    while (reader->Read(&event)) {
      switch (event.kind()) {
        case v1::ListenEvent::KIND_LISTENING:
          SetListening();
          log::Info("watching task changes");
          break;
        case v1::ListenEvent::KIND_RESUMED:
          // Changes committed while the router re-listened may be missing.
          LoseAll(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               "task changes may have been missed during a database failover; "
                               "list your tasks again and watch again"),
                  /*still_listening=*/true);
          break;
        case v1::ListenEvent::KIND_NOTIFICATION:
          if (std::optional<v1::TaskEvent> change = ParseTaskChange(event.payload())) {
            Dispatch(std::make_shared<const v1::TaskEvent>(*std::move(change)));
          }
          break;
        default:
          break;
      }
    }
    const grpc::Status status = reader->Finish();
    {
      absl::MutexLock lock(&mutex_);
      current_call_ = nullptr;
      if (stop_) {
        listening_ = false;
        return;
      }
    }
    log::Warning("lost the task change stream; reconnecting", {{"error", status.error_message()}});
    LoseAll(grpc::Status(
                grpc::StatusCode::UNAVAILABLE,
                "the task change stream was interrupted; list your tasks again and watch again"),
            /*still_listening=*/false);
    absl::SleepFor(absl::Milliseconds(500));
  }
}

}  // namespace taskgres::tasks
