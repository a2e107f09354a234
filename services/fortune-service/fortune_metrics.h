// fortune-service's domain metrics.
#ifndef TASKGRES_FORTUNE_SERVICE_FORTUNE_METRICS_H_
#define TASKGRES_FORTUNE_SERVICE_FORTUNE_METRICS_H_

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace taskgres::fortune {

struct FortuneMetrics {
  explicit FortuneMetrics(prometheus::Registry& registry);

  prometheus::Counter* generated;        // taskgres_fortunes_generated_total
  prometheus::Gauge* active;             // taskgres_fortune_generators_active
  prometheus::Counter* insert_failures;  // taskgres_fortune_insert_failures_total
  prometheus::Histogram* lateness;       // taskgres_fortune_tick_lateness_seconds
};

}  // namespace taskgres::fortune

#endif  // TASKGRES_FORTUNE_SERVICE_FORTUNE_METRICS_H_
