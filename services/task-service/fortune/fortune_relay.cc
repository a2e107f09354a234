#include "fortune/fortune_relay.h"

#include "absl/synchronization/mutex.h"

namespace taskgres::tasks {

struct FortuneRelay::Link {
  absl::Mutex mutex;
  FortuneRelay* downstream ABSL_GUARDED_BY(mutex) = nullptr;  // null once the caller's call is over
  grpc::ClientContext upstream_context;
};

// The call to FortuneService; deletes itself when it is done.
class FortuneRelay::Upstream : public grpc::ClientReadReactor<v1::Task> {
 public:
  Upstream(std::shared_ptr<Link> link, TaskServiceMetrics& metrics)
      : link_(std::move(link)), metrics_(metrics) {}

  void Begin(v1::FortuneService::Stub& stub, const v1::GenerateRequest& request) {
    request_ = request;
    stub.async()->Generate(&link_->upstream_context, &request_, this);
    StartRead(&task_);
    StartCall();
  }

  void OnReadInitialMetadataDone(bool ok) override {
    if (!ok) return;  // the call failed; OnDone ends the caller's stream
    absl::MutexLock lock(&link_->mutex);
    if (link_->downstream == nullptr) return;
    // Pass the number of fortunes cleared on to the caller.
    const auto& metadata = link_->upstream_context.GetServerInitialMetadata();
    auto it = metadata.find("x-taskgres-fortunes-cleared");
    link_->downstream->ForwardCleared(
        it == metadata.end() ? "" : std::string(it->second.data(), it->second.size()));
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended; OnDone follows
    {
      absl::MutexLock lock(&link_->mutex);
      if (link_->downstream != nullptr && link_->downstream->Push(task_)) {
        metrics_.CountCreated(v1::TASK_SOURCE_FORTUNE);
      }
    }
    StartRead(&task_);
  }

  void OnDone(const grpc::Status& status) override {
    {
      absl::MutexLock lock(&link_->mutex);
      if (link_->downstream != nullptr) link_->downstream->FinishAfterQueued(status);
    }
    delete this;
  }

 private:
  std::shared_ptr<Link> link_;
  TaskServiceMetrics& metrics_;
  v1::GenerateRequest request_;
  v1::Task task_;
};

FortuneRelay::FortuneRelay(grpc::CallbackServerContext* context, v1::FortuneService::Stub& fortunes,
                           const ServiceCredential& credential, TaskServiceMetrics& metrics,
                           StreamRegistry& streams)
    : QueuedWriteReactor(64, &streams),
      context_(context),
      fortunes_(fortunes),
      metrics_(metrics),
      link_(std::make_shared<Link>()) {
  // Fortunes wait for the upstream's metadata (the count cleared) to go first.
  HoldWritesUntilMetadata();
  absl::MutexLock lock(&link_->mutex);
  link_->downstream = this;
  credential.AttachTo(link_->upstream_context);
}

void FortuneRelay::Begin(const v1::GenerateRequest& request) {
  absl::MutexLock lock(&link_->mutex);
  if (link_->downstream == nullptr) return;  // the caller already left
  // Owned by the gRPC call until its OnDone.
  (new Upstream(link_, metrics_))->Begin(fortunes_, request);
}

void FortuneRelay::ForwardCleared(const std::string& count) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!count.empty()) pairs.emplace_back("x-taskgres-fortunes-cleared", count);
  SendInitialMetadata(context_, pairs);  // false when the caller already left: fine
}

void FortuneRelay::OnStop() {
  {
    absl::MutexLock lock(&link_->mutex);
    link_->downstream = nullptr;
  }
  // The caller is gone (or was answered): stop the generator too. Outside the
  // lock, in case cancellation runs the upstream's reactions right away.
  link_->upstream_context.TryCancel();
}

}  // namespace taskgres::tasks
