// Limits and timings of one node's connection pools.
#ifndef TASKGRES_DB_ROUTER_POOL_POOL_SETTINGS_H_
#define TASKGRES_DB_ROUTER_POOL_POOL_SETTINGS_H_

#include <cstddef>

#include "absl/time/time.h"
#include "pg/pg_connect.h"

namespace taskgres::router {

struct PoolSettings {
  int min_connections = 1;
  int max_connections = 4;
  // Jobs waiting beyond this get RESOURCE_EXHAUSTED.
  size_t max_queue = 10000;
  // Most statements sent in one pipeline round trip.
  int max_batch = 64;
  // One pipelined connection carries many concurrent statements, and every
  // extra one costs thread wake-ups and smaller batches. So another opens
  // only when statements wait while every open connection has been stuck
  // in its current round trip this long (slow statements ahead of them).
  absl::Duration spawn_after = absl::Milliseconds(20);
  absl::Duration idle_timeout = absl::Seconds(60);
  absl::Duration max_lifetime = absl::Minutes(30);
  absl::Duration connect_timeout = absl::Seconds(2);
  // How long a read with min_lsn may wait for its replica to catch up.
  absl::Duration lsn_wait = absl::Milliseconds(100);
  size_t prepared_cache_size = 256;
  absl::Duration statement_timeout = absl::Seconds(30);
  // Largest result (sum of its values) copied into one answer; bigger ones
  // get RESOURCE_EXHAUSTED instead of costing the router twice their size.
  size_t max_result_bytes = 64u << 20;
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_POOL_POOL_SETTINGS_H_
