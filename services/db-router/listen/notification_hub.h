// One LISTEN connection on the current primary, shared by every Listen
// stream: follows the primary after a failover and tells subscribers when
// they may have missed notifications.
#ifndef TASKGRES_DB_ROUTER_LISTEN_NOTIFICATION_HUB_H_
#define TASKGRES_DB_ROUTER_LISTEN_NOTIFICATION_HUB_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "pg/pg_handles.h"
#include "taskgres/v1/db_router.pb.h"
#include "topology/topology_monitor.h"

namespace taskgres::router {

// Receives events on the hub's thread. Deliver must not block.
class NotificationSubscriber {
 public:
  virtual ~NotificationSubscriber() = default;
  virtual void Deliver(const v1::ListenEvent& event) = 0;
};

class NotificationHub {
 public:
  explicit NotificationHub(TopologyMonitor& monitor,
                           absl::Duration connect_timeout = absl::Seconds(2))
      : monitor_(monitor), connect_timeout_(connect_timeout) {}
  ~NotificationHub();

  void Start();
  void Stop();

  // Starts delivering `channel`'s events to `subscriber` (first LISTENING once
  // the LISTEN is active). Returns an id for Unsubscribe.
  uint64_t Subscribe(const std::string& channel, NotificationSubscriber* subscriber);

  // After this returns, the subscriber gets no more calls.
  void Unsubscribe(uint64_t id);

  // True for names Listen accepts: [a-z_][a-z0-9_]*, at most 63 characters.
  static bool ValidChannel(absl::string_view channel);

 private:
  struct Subscription {
    std::string channel;
    NotificationSubscriber* subscriber;
    bool told_listening = false;  // on the current connection
    bool ever_listening = false;
  };

  void Run();
  void Reconcile();  // connect/LISTEN/UNLISTEN as needed
  void Drop(const std::string& why);
  void ReadNotifications();
  // Hands out notifications libpq has already read.
  void DeliverBuffered();
  void DeliverLocked(const std::string& channel, const v1::ListenEvent& event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Wake();

  TopologyMonitor& monitor_;
  const absl::Duration connect_timeout_;

  absl::Mutex mutex_;
  std::map<uint64_t, Subscription> subscriptions_ ABSL_GUARDED_BY(mutex_);
  uint64_t next_id_ ABSL_GUARDED_BY(mutex_) = 1;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;

  // Hub thread only.
  PgConnPtr conn_;
  Node* conn_node_ = nullptr;
  std::set<std::string> listening_;
  absl::Time next_attempt_;
  int wake_fd_ = -1;
  std::thread thread_;
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_LISTEN_NOTIFICATION_HUB_H_
