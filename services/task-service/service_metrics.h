// task-service's domain metrics.
#ifndef TASKGRES_TASK_SERVICE_SERVICE_METRICS_H_
#define TASKGRES_TASK_SERVICE_SERVICE_METRICS_H_

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "taskgres/v1/task.pb.h"

namespace taskgres::tasks {

class TaskServiceMetrics {
 public:
  explicit TaskServiceMetrics(prometheus::Registry& registry);

  // taskgres_tasks_created_total{source}
  void CountCreated(v1::TaskSource source) {
    (source == v1::TASK_SOURCE_FORTUNE ? created_fortune_ : created_manual_)->Increment();
  }
  // taskgres_tasks_deleted_total
  void CountDeleted(double count) { deleted_->Increment(count); }
  // taskgres_watch_subscribers
  void AddWatchSubscribers(double delta) { watch_subscribers_->Increment(delta); }
  // taskgres_logins_total{result}
  void CountLoginSuccess() { login_success_->Increment(); }
  void CountLoginFailure() { login_failure_->Increment(); }
  void CountLoginThrottled() { login_throttled_->Increment(); }

 private:
  prometheus::Counter* created_manual_;
  prometheus::Counter* created_fortune_;
  prometheus::Counter* deleted_;
  prometheus::Gauge* watch_subscribers_;
  prometheus::Counter* login_success_;
  prometheus::Counter* login_failure_;
  prometheus::Counter* login_throttled_;
};

}  // namespace taskgres::tasks

#endif  // TASKGRES_TASK_SERVICE_SERVICE_METRICS_H_
