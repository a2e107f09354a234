// Receives every committed task change from the database (db-router Listen
// on `task_events`) and fans it out to this instance's WatchTasks streams.
#ifndef TASKGRES_TASK_SERVICE_WATCH_TASK_EVENT_HUB_H_
#define TASKGRES_TASK_SERVICE_WATCH_TASK_EVENT_HUB_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "dbclient/db_client.h"
#include "taskgres/v1/task.pb.h"

namespace taskgres::tasks {

class TaskEventSubscriber {
 public:
  virtual ~TaskEventSubscriber() = default;
  // A change the subscriber may see. Called on the hub's thread; must not block.
  virtual void Deliver(const std::shared_ptr<const v1::TaskEvent>& event) = 0;
  // The event source broke: changes may have been missed.
  virtual void Lost(const grpc::Status& status) = 0;
};

class TaskEventHub {
 public:
  explicit TaskEventHub(DbClient& db) : db_(db) {}
  ~TaskEventHub();

  // Listens in the background, reconnecting after failures.
  void Start();
  void Stop();

  // `owner` "*" receives every change. Returns an id for Unsubscribe, or
  // nothing while the hub is not listening (changes would be missed).
  std::optional<uint64_t> Subscribe(const std::string& owner, TaskEventSubscriber* subscriber);
  // After this returns the subscriber is never called again.
  void Unsubscribe(uint64_t id);

  // True while the LISTEN is active (events flow).
  bool listening() {
    absl::MutexLock lock(&mutex_);
    return listening_;
  }

 private:
  struct Subscription {
    std::string owner;
    TaskEventSubscriber* subscriber;
  };
  void Run();
  void Dispatch(const std::shared_ptr<const v1::TaskEvent>& event);
  // Ends every subscription; `still_listening` false also refuses new ones.
  void LoseAll(const grpc::Status& status, bool still_listening);
  void SetListening();

  DbClient& db_;
  absl::Mutex mutex_;
  bool listening_ ABSL_GUARDED_BY(mutex_) = false;
  std::map<uint64_t, Subscription> subscriptions_ ABSL_GUARDED_BY(mutex_);
  uint64_t next_id_ ABSL_GUARDED_BY(mutex_) = 1;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::ClientContext* current_call_ ABSL_GUARDED_BY(mutex_) = nullptr;
  std::thread thread_;
};

}  // namespace taskgres::tasks

#endif  // TASKGRES_TASK_SERVICE_WATCH_TASK_EVENT_HUB_H_
