#include "target_check.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace taskgres::bench {
namespace {

using Result = TargetVerdict::Result;

// A single-process Flask API doing stack-list's work, measured on the
// reference machine (the figure).
constexpr double kFlaskListsPerSecond = 640;

// The last row of `scenario` at `clients` (a repeated scenario replaces earlier runs).
const Row* Find(const std::vector<Row>& rows, const std::string& scenario, int clients) {
  const Row* found = nullptr;
  for (const Row& row : rows) {
    if (row.scenario == scenario && row.clients == clients) found = &row;
  }
  return found;
}

TargetVerdict NotMeasured(std::string target, const std::vector<std::string>& scenarios,
                          int clients) {
  return {std::move(target),
          absl::StrCat("not measured: run ", absl::StrJoin(scenarios, " and "), " at ", clients,
                       " client", clients == 1 ? "" : "s"),
          Result::kNotMeasured};
}

// `scenario` at `clients` against the best of `others` there.
TargetVerdict ThroughputRatio(const std::vector<Row>& rows, const std::string& scenario,
                              const std::vector<std::string>& others, int clients, double factor) {
  std::string target = absl::StrFormat("%s at %d clients >= %gx %s", scenario, clients, factor,
                                       absl::StrJoin(others, " or "));
  if (others.size() > 1) absl::StrAppend(&target, " (the better)");
  const Row* row = Find(rows, scenario, clients);
  const Row* best = nullptr;
  for (const std::string& other : others) {
    const Row* candidate = Find(rows, other, clients);
    if (candidate != nullptr &&
        (best == nullptr || candidate->ops_per_second > best->ops_per_second))
      best = candidate;
  }
  std::vector<std::string> needed = {scenario};
  needed.push_back(absl::StrJoin(others, "/"));
  if (row == nullptr || best == nullptr || best->ops_per_second <= 0)
    return NotMeasured(std::move(target), needed, clients);
  const double ratio = row->ops_per_second / best->ops_per_second;
  return {std::move(target),
          absl::StrFormat("%.2fx (%.0f vs %s %.0f ops/s)", ratio, row->ops_per_second,
                          best->scenario, best->ops_per_second),
          ratio >= factor ? Result::kMet : Result::kMissed};
}

// `percentile` names the LatencySummary field, e.g. "p50" for &LatencySummary::p50_us.
TargetVerdict LatencyAtMost(const std::vector<Row>& rows, const std::string& scenario, int clients,
                            double LatencySummary::*field, const char* percentile,
                            double limit_us) {
  std::string target = absl::StrFormat("%s at %d client%s: %s <= %g ms", scenario, clients,
                                       clients == 1 ? "" : "s", percentile, limit_us / 1000);
  const Row* row = Find(rows, scenario, clients);
  if (row == nullptr) return NotMeasured(std::move(target), {scenario}, clients);
  const double value = row->latency.*field;
  return {std::move(target), absl::StrFormat("%.0f us", value),
          value <= limit_us ? Result::kMet : Result::kMissed};
}

TargetVerdict ThroughputAtLeast(const std::vector<Row>& rows, const std::string& scenario,
                                int clients, double minimum, const std::string& why) {
  std::string target =
      absl::StrFormat("%s at %d clients >= %.0f ops/s (%s)", scenario, clients, minimum, why);
  const Row* row = Find(rows, scenario, clients);
  if (row == nullptr) return NotMeasured(std::move(target), {scenario}, clients);
  return {std::move(target), absl::StrFormat("%.0f ops/s", row->ops_per_second),
          row->ops_per_second >= minimum ? Result::kMet : Result::kMissed};
}

TargetVerdict ReadYourWrites(const std::vector<Row>& rows) {
  std::string target = "router-ryw: >= 90% of reads from replicas, no stale read, at every level";
  double lowest_share = 1;
  double stale = 0;
  int levels = 0;
  for (const Row& row : rows) {
    if (row.scenario != "router-ryw") continue;
    auto share = row.figures.find("replica_share");
    auto stale_reads = row.figures.find("stale_reads");
    if (share == row.figures.end() || stale_reads == row.figures.end()) continue;
    lowest_share = std::min(lowest_share, share->second);
    stale += stale_reads->second;
    ++levels;
  }
  if (levels == 0) return {std::move(target), "not measured: run router-ryw", Result::kNotMeasured};
  return {std::move(target),
          absl::StrFormat("lowest %.1f%% from replicas, %.0f stale", 100 * lowest_share, stale),
          lowest_share >= 0.9 && stale == 0 ? Result::kMet : Result::kMissed};
}

std::vector<TargetVerdict> WatchFanout(const std::vector<Row>& rows) {
  const Row* row = nullptr;
  for (const Row& candidate : rows) {
    if (candidate.scenario == "watch-fanout") row = &candidate;
  }
  std::string latency = "watch-fanout: delivery p99 < 200 ms";
  std::string memory = "watch-fanout: task-service RSS growth < 64 MiB";
  if (row == nullptr) {
    return {{std::move(latency), "not measured: run watch-fanout", Result::kNotMeasured},
            {std::move(memory), "not measured: run watch-fanout", Result::kNotMeasured}};
  }
  std::vector<TargetVerdict> verdicts;
  verdicts.push_back(
      {std::move(latency),
       absl::StrFormat("%.1f ms, %d subscribers", row->latency.p99_us / 1000, row->clients),
       row->latency.p99_us < 200'000 ? Result::kMet : Result::kMissed});
  auto growth = row->figures.find("rss_growth_mib");
  if (growth == row->figures.end()) {
    verdicts.push_back({std::move(memory), "not measured", Result::kNotMeasured});
  } else {
    verdicts.push_back({std::move(memory), absl::StrFormat("%.1f MiB", growth->second),
                        growth->second < 64 ? Result::kMet : Result::kMissed});
  }
  return verdicts;
}

}  // namespace

std::vector<TargetVerdict> CheckTargets(const std::vector<Row>& rows,
                                        const std::map<std::string, double>& idle_rss_mib) {
  const std::vector<std::string> pgpool = {"pgpool-read", "pgpool-read-simple"};
  std::vector<TargetVerdict> verdicts = {
      ThroughputRatio(rows, "router-read", {"direct-read"}, 64, 0.45),
      ThroughputRatio(rows, "router-read", pgpool, 64, 2),
      ThroughputRatio(rows, "router-read", {"direct-read"}, 16, 0.3),
      ThroughputRatio(rows, "router-read", pgpool, 16, 1.5),
      LatencyAtMost(rows, "router-read", 1, &LatencySummary::p50_us, "p50", 250),
      ThroughputRatio(rows, "router-write", {"direct-write"}, 16, 0.5),
      LatencyAtMost(rows, "stack-create", 16, &LatencySummary::p99_us, "p99", 10'000),
      LatencyAtMost(rows, "stack-list", 16, &LatencySummary::p99_us, "p99", 10'000),
      ThroughputAtLeast(rows, "stack-create", 16, 10 * kFlaskListsPerSecond, "10x Flask"),
      ThroughputAtLeast(rows, "stack-list", 16, 10 * kFlaskListsPerSecond, "10x Flask"),
      ReadYourWrites(rows),
  };
  for (TargetVerdict& verdict : WatchFanout(rows)) verdicts.push_back(std::move(verdict));
  for (const auto& [service, mib] : idle_rss_mib) {
    verdicts.push_back({absl::StrCat(service, ": idle RSS < 40 MiB"),
                        mib > 0 ? absl::StrFormat("%.1f MiB", mib) : "not measured",
                        mib <= 0   ? Result::kNotMeasured
                        : mib < 40 ? Result::kMet
                                   : Result::kMissed});
  }
  return verdicts;
}

std::string FormatTargets(const std::vector<TargetVerdict>& verdicts) {
  int met = 0;
  int missed = 0;
  std::string lines;
  for (const TargetVerdict& verdict : verdicts) {
    const char* word = "-";
    if (verdict.result == Result::kMet) {
      word = "met";
      ++met;
    } else if (verdict.result == Result::kMissed) {
      word = "MISSED";
      ++missed;
    }
    absl::StrAppend(&lines,
                    absl::StrFormat("  %-7s %-82s %s\n", word, verdict.target, verdict.measured));
  }
  return absl::StrCat("targets (on this machine, in this run): ", met, " met, ", missed,
                      " missed, ", verdicts.size() - met - missed, " not measured\n", lines);
}

}  // namespace taskgres::bench
