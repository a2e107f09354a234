#include "routing/read_balancer.h"

#include <algorithm>
#include <cstdint>
#include <random>

namespace taskgres::router {
namespace {

// Latencies below this are noise on a loopback network; flooring them keeps
// one lucky sample from starving the other replica.
constexpr double kLatencyFloorUs = 100.0;

double Weight(const ReadCandidate& candidate) {
  return 1.0 / ((candidate.in_flight + 1) * std::max(candidate.latency_us, kLatencyFloorUs));
}

}  // namespace

int PickReplica(std::span<const ReadCandidate> candidates, double random01) {
  if (candidates.empty()) return -1;
  if (candidates.size() == 1) return candidates[0].index;
  double total = 0;
  for (const ReadCandidate& candidate : candidates) total += Weight(candidate);
  double point = random01 * total;
  for (const ReadCandidate& candidate : candidates) {
    point -= Weight(candidate);
    if (point < 0) return candidate.index;
  }
  return candidates.back().index;
}

double RandomUnit() {
  // xorshift64*, seeded per thread: no locks, no shared state.
  thread_local uint64_t state = std::random_device{}() | 1;
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return static_cast<double>((state * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

}  // namespace taskgres::router
