#include "listen/notification_hub.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "logging/json_log.h"
#include "pg/pg_connect.h"

namespace taskgres::router {
namespace {

bool Exec(PGconn* conn, const std::string& sql) {
  PgResultPtr result(PQexec(conn, sql.c_str()));
  return result != nullptr && PQresultStatus(result.get()) == PGRES_COMMAND_OK;
}

}  // namespace

NotificationHub::~NotificationHub() { Stop(); }

bool NotificationHub::ValidChannel(absl::string_view channel) {
  if (channel.empty() || channel.size() > 63) return false;
  if (!(absl::ascii_islower(channel[0]) || channel[0] == '_')) return false;
  for (char c : channel) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_')) return false;
  }
  return true;
}

void NotificationHub::Start() {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  thread_ = std::thread([this] { Run(); });
}

void NotificationHub::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    if (stop_) return;
    stop_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) close(wake_fd_);
  wake_fd_ = -1;
}

void NotificationHub::Wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
}

uint64_t NotificationHub::Subscribe(const std::string& channel,
                                    NotificationSubscriber* subscriber) {
  uint64_t id;
  {
    absl::MutexLock lock(&mutex_);
    id = next_id_++;
    subscriptions_[id] = Subscription{channel, subscriber};
  }
  Wake();
  return id;
}

void NotificationHub::Unsubscribe(uint64_t id) {
  {
    absl::MutexLock lock(&mutex_);
    subscriptions_.erase(id);
  }
  Wake();
}

void NotificationHub::DeliverLocked(const std::string& channel, const v1::ListenEvent& event) {
  for (auto& [id, subscription] : subscriptions_) {
    if (subscription.channel == channel) subscription.subscriber->Deliver(event);
  }
}

void NotificationHub::Drop(const std::string& why) {
  if (conn_ == nullptr) return;
  log::Warning("lost the LISTEN connection",
               {{"node", conn_node_ ? conn_node_->name() : ""}, {"error", why}});
  conn_.reset();
  conn_node_ = nullptr;
  listening_.clear();
  absl::MutexLock lock(&mutex_);
  for (auto& [id, subscription] : subscriptions_) subscription.told_listening = false;
}

void NotificationHub::Reconcile() {
  std::set<std::string> wanted;
  {
    absl::MutexLock lock(&mutex_);
    for (const auto& [id, subscription] : subscriptions_) wanted.insert(subscription.channel);
  }
  Node* primary = monitor_.Current()->primary_node();
  if (conn_ != nullptr && (conn_node_ != primary || PQstatus(conn_.get()) != CONNECTION_OK)) {
    Drop(conn_node_ != primary ? "the primary changed" : "connection broken");
  }
  if (conn_ == nullptr) {
    if (wanted.empty() || primary == nullptr || absl::Now() < next_attempt_) return;
    SessionOptions session;
    ConnectTarget target = primary->target();
    target.application_name = "taskgres-db-router-listen";
    absl::StatusOr<PgConnPtr> conn = ConnectWithTimeout(target, session, connect_timeout_);
    if (!conn.ok()) {
      next_attempt_ = absl::Now() + absl::Milliseconds(250);
      return;
    }
    PQsetnonblocking(conn->get(), 0);  // LISTEN commands are short; results are read with poll
    conn_ = std::move(*conn);
    conn_node_ = primary;
    log::Info("listening for notifications", {{"node", primary->name()}});
  }
  for (const std::string& channel : wanted) {
    if (listening_.contains(channel)) continue;
    // The name was validated to a plain identifier, so quoting it is enough.
    if (!Exec(conn_.get(), absl::StrCat("LISTEN \"", channel, "\""))) {
      Drop(PgErrorMessage(conn_.get()));
      return;
    }
    listening_.insert(channel);
  }
  for (auto it = listening_.begin(); it != listening_.end();) {
    if (wanted.contains(*it)) {
      ++it;
      continue;
    }
    Exec(conn_.get(), absl::StrCat("UNLISTEN \"", *it, "\""));
    it = listening_.erase(it);
  }
  // Tell new subscribers (and everyone, after a reconnect) that events flow again.
  absl::MutexLock lock(&mutex_);
  for (auto& [id, subscription] : subscriptions_) {
    if (subscription.told_listening || !listening_.contains(subscription.channel)) continue;
    v1::ListenEvent event;
    // A subscriber that listened on an earlier connection may have missed events.
    event.set_kind(subscription.ever_listening ? v1::ListenEvent::KIND_RESUMED
                                               : v1::ListenEvent::KIND_LISTENING);
    event.set_channel(subscription.channel);
    subscription.subscriber->Deliver(event);
    subscription.told_listening = true;
    subscription.ever_listening = true;
  }
}

void NotificationHub::ReadNotifications() {
  if (conn_ == nullptr) return;
  if (PQconsumeInput(conn_.get()) != 1) {
    Drop(PgErrorMessage(conn_.get()));
    return;
  }
  DeliverBuffered();
}

void NotificationHub::DeliverBuffered() {
  if (conn_ == nullptr) return;
  absl::MutexLock lock(&mutex_);
  while (PgNotifyPtr notify{PQnotifies(conn_.get())}) {
    v1::ListenEvent event;
    event.set_kind(v1::ListenEvent::KIND_NOTIFICATION);
    event.set_channel(notify->relname);
    event.set_payload(notify->extra);
    DeliverLocked(notify->relname, event);
  }
}

void NotificationHub::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      if (stop_) break;
    }
    Reconcile();
    // Notifications that arrived during LISTEN/UNLISTEN sit in libpq's buffer
    // and would not wake the poll below.
    DeliverBuffered();
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {conn_ ? PQsocket(conn_.get()) : -1, POLLIN, 0}};
    poll(fds, conn_ ? 2 : 1, 100);
    if (fds[0].revents != 0) {
      uint64_t count;
      [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof(count));
    }
    if (conn_ != nullptr && fds[1].revents != 0) ReadNotifications();
  }
  conn_.reset();
}

}  // namespace taskgres::router
