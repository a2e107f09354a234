// Standard process_* metrics read from /proc/self on each scrape.
#ifndef TASKGRES_LIBS_METRICS_PROCESS_METRICS_H_
#define TASKGRES_LIBS_METRICS_PROCESS_METRICS_H_

#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace taskgres {

// process_resident_memory_bytes, process_virtual_memory_bytes,
// process_cpu_seconds_total, process_start_time_seconds, process_open_fds,
// process_max_fds, as the Prometheus client libraries name them.
class ProcessMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace taskgres

#endif  // TASKGRES_LIBS_METRICS_PROCESS_METRICS_H_
