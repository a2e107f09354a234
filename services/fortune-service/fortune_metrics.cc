#include "fortune_metrics.h"

namespace taskgres::fortune {

FortuneMetrics::FortuneMetrics(prometheus::Registry& registry)
    : generated(&prometheus::BuildCounter()
                     .Name("taskgres_fortunes_generated_total")
                     .Help("Fortune tasks inserted and streamed.")
                     .Register(registry)
                     .Add({})),
      active(&prometheus::BuildGauge()
                  .Name("taskgres_fortune_generators_active")
                  .Help("Generators running now.")
                  .Register(registry)
                  .Add({})),
      insert_failures(&prometheus::BuildCounter()
                           .Name("taskgres_fortune_insert_failures_total")
                           .Help("Fortune inserts that failed (each retry counts).")
                           .Register(registry)
                           .Add({})),
      lateness(
          &prometheus::BuildHistogram()
               .Name("taskgres_fortune_tick_lateness_seconds")
               .Help("How long after its scheduled time each fortune was inserted.")
               .Register(registry)
               .Add({}, prometheus::Histogram::BucketBoundaries{
                            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5})) {}

}  // namespace taskgres::fortune
