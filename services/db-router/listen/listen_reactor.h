// The server side of one Listen stream: the hub pushes events into a bounded
// queue that is written to the caller one at a time.
#ifndef TASKGRES_DB_ROUTER_LISTEN_LISTEN_REACTOR_H_
#define TASKGRES_DB_ROUTER_LISTEN_LISTEN_REACTOR_H_

#include <cstdint>
#include <string>

#include "listen/notification_hub.h"
#include "streaming/queued_write_reactor.h"

namespace taskgres::router {

class ListenReactor : public QueuedWriteReactor<v1::ListenEvent>, public NotificationSubscriber {
 public:
  // A listener further behind than `max_buffered` events is ended with
  // RESOURCE_EXHAUSTED rather than growing memory without bound.
  ListenReactor(NotificationHub& hub, const std::string& channel, size_t max_buffered,
                StreamRegistry& streams)
      : QueuedWriteReactor(max_buffered, &streams), hub_(hub) {
    subscription_ = hub_.Subscribe(channel, this);
  }

  void Deliver(const v1::ListenEvent& event) override { Push(event); }

 private:
  void OnStop() override { hub_.Unsubscribe(subscription_); }  // no Deliver after this

  NotificationHub& hub_;
  uint64_t subscription_ = 0;
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_LISTEN_LISTEN_REACTOR_H_
