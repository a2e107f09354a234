#include "service_metrics.h"

namespace taskgres::tasks {

TaskServiceMetrics::TaskServiceMetrics(prometheus::Registry& registry) {
  auto& created = prometheus::BuildCounter()
                      .Name("taskgres_tasks_created_total")
                      .Help("Tasks created through this instance, by source.")
                      .Register(registry);
  created_manual_ = &created.Add({{"source", "manual"}});
  created_fortune_ = &created.Add({{"source", "fortune"}});
  deleted_ = &prometheus::BuildCounter()
                  .Name("taskgres_tasks_deleted_total")
                  .Help("Tasks deleted through this instance.")
                  .Register(registry)
                  .Add({});
  watch_subscribers_ = &prometheus::BuildGauge()
                            .Name("taskgres_watch_subscribers")
                            .Help("Open WatchTasks streams.")
                            .Register(registry)
                            .Add({});
  auto& logins = prometheus::BuildCounter()
                     .Name("taskgres_logins_total")
                     .Help("Login attempts, by result.")
                     .Register(registry);
  login_success_ = &logins.Add({{"result", "success"}});
  login_failure_ = &logins.Add({{"result", "failure"}});
  login_throttled_ = &logins.Add({{"result", "throttled"}});
}

}  // namespace taskgres::tasks
