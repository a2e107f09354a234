// Prints the results table and writes CSV, JSON and an SVG chart.
#ifndef TASKGRES_TOOLS_BENCH_REPORT_H_
#define TASKGRES_TOOLS_BENCH_REPORT_H_

#include <string>
#include <vector>

#include "scenario.h"

namespace taskgres::bench {

std::string FormatTable(const std::vector<Row>& rows);
std::string FormatCsv(const std::vector<Row>& rows);
std::string FormatJson(const std::vector<Row>& rows);
// Throughput and p99 latency against concurrency, one line per scenario.
std::string FormatSvg(const std::vector<Row>& rows);

}  // namespace taskgres::bench

#endif  // TASKGRES_TOOLS_BENCH_REPORT_H_
