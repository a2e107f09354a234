#include "latency_stats.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace taskgres::bench {
namespace {

double Rank(std::vector<uint32_t>& samples, double quantile) {
  // Nearest rank: the smallest value with at least `quantile` of samples at or below it.
  size_t rank = static_cast<size_t>(std::ceil(quantile * static_cast<double>(samples.size())));
  rank = std::clamp<size_t>(rank, 1, samples.size()) - 1;
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(rank),
                   samples.end());
  return samples[rank];
}

}  // namespace

LatencySummary Summarize(std::vector<uint32_t>& samples_us) {
  LatencySummary summary;
  summary.count = samples_us.size();
  if (samples_us.empty()) return summary;
  summary.p50_us = Rank(samples_us, 0.50);
  summary.p99_us = Rank(samples_us, 0.99);
  summary.p999_us = Rank(samples_us, 0.999);
  summary.max_us = *std::max_element(samples_us.begin(), samples_us.end());
  return summary;
}

}  // namespace taskgres::bench
