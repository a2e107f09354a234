// Chooses a replica for a read from in-flight counts and observed latency.
#ifndef TASKGRES_DB_ROUTER_ROUTING_READ_BALANCER_H_
#define TASKGRES_DB_ROUTER_ROUTING_READ_BALANCER_H_

#include <span>

namespace taskgres::router {

struct ReadCandidate {
  int index = 0;          // caller's identifier (e.g. position in the topology)
  int in_flight = 0;      // statements queued or running there
  double latency_us = 0;  // smoothed latency
};

// Picks with probability proportional to 1 / ((in_flight + 1) * latency):
// a busier or slower node gets proportionally less, but never nothing, so
// equal nodes share evenly and a recovering node is tried again.
// `random01` is uniform in [0, 1). Returns the chosen candidate's index, or
// -1 when there is none.
int PickReplica(std::span<const ReadCandidate> candidates, double random01);

// A fast per-thread uniform number in [0, 1).
double RandomUnit();

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_ROUTING_READ_BALANCER_H_
