#include "report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace taskgres::bench {
namespace {

std::string JsonString(const std::string& text) {
  return absl::StrCat(
      "\"", absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}), "\"");
}

std::string CsvField(const std::string& text) {
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

}  // namespace

std::string FormatTable(const std::vector<Row>& rows) {
  std::string out = absl::StrFormat("%-20s %7s %10s %9s %9s %9s %7s %8s %6s  %s\n", "scenario",
                                    "clients", "ops/s", "p50 us", "p99 us", "p99.9 us", "errors",
                                    "RSS MiB", "CPU %", "notes");
  for (const Row& row : rows) {
    absl::StrAppend(
        &out,
        absl::StrFormat(
            "%-20s %7d %10.0f %9.0f %9.0f %9.0f %7d %8s %6s  %s\n", row.scenario, row.clients,
            row.ops_per_second, row.latency.p50_us, row.latency.p99_us, row.latency.p999_us,
            row.errors, row.server_rss_mib > 0 ? absl::StrFormat("%.1f", row.server_rss_mib) : "-",
            row.server_rss_mib > 0 ? absl::StrFormat("%.0f", row.server_cpu_percent) : "-",
            row.note));
    if (!row.first_error.empty()) absl::StrAppend(&out, "    first error: ", row.first_error, "\n");
  }
  return out;
}

std::string FormatCsv(const std::vector<Row>& rows) {
  std::string out =
      "scenario,clients,ops_per_second,p50_us,p99_us,p999_us,max_us,errors,server_rss_mib,server_"
      "cpu_percent,note\n";
  for (const Row& row : rows) {
    absl::StrAppend(
        &out,
        absl::StrFormat("%s,%d,%.1f,%.0f,%.0f,%.0f,%.0f,%d,%.1f,%.1f,%s\n", row.scenario,
                        row.clients, row.ops_per_second, row.latency.p50_us, row.latency.p99_us,
                        row.latency.p999_us, row.latency.max_us, row.errors, row.server_rss_mib,
                        row.server_cpu_percent, CsvField(row.note)));
  }
  return out;
}

std::string FormatJson(const std::vector<Row>& rows) {
  std::string out = "[\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    absl::StrAppend(
        &out,
        absl::StrFormat(
            "  {\"scenario\": %s, \"clients\": %d, \"ops_per_second\": %.1f, \"p50_us\": %.0f, "
            "\"p99_us\": %.0f, \"p999_us\": %.0f, \"max_us\": %.0f, \"errors\": %d, "
            "\"server_rss_mib\": %.1f, \"server_cpu_percent\": %.1f, \"note\": %s}",
            JsonString(row.scenario), row.clients, row.ops_per_second, row.latency.p50_us,
            row.latency.p99_us, row.latency.p999_us, row.latency.max_us, row.errors,
            row.server_rss_mib, row.server_cpu_percent, JsonString(row.note)),
        i + 1 < rows.size() ? ",\n" : "\n");
  }
  return out + "]\n";
}

std::string FormatSvg(const std::vector<Row>& rows) {
  // Scenarios with more than one concurrency level, as lines on two log-log panels.
  std::map<std::string, std::vector<const Row*>> series;
  for (const Row& row : rows) series[row.scenario].push_back(&row);
  std::erase_if(series, [](const auto& entry) { return entry.second.size() < 2; });
  const int width = 520, height = 360, left = 70, top = 40, plot_w = 400, plot_h = 260;
  static const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  auto panel = [&](int x0, const char* title, auto value) {
    double lo = 1e18, hi = 0, cmin = 1e9, cmax = 0;
    for (const auto& [name, points] : series) {
      for (const Row* row : points) {
        const double v = std::max(value(*row), 1e-9);
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        cmin = std::min(cmin, static_cast<double>(row->clients));
        cmax = std::max(cmax, static_cast<double>(row->clients));
      }
    }
    if (series.empty()) return std::string();
    lo = std::pow(10, std::floor(std::log10(lo)));
    hi = std::pow(10, std::ceil(std::log10(hi)));
    if (cmax <= cmin) cmax = cmin * 2;
    auto x = [&](double c) {
      return x0 + left + plot_w * (std::log(c / cmin) / std::log(cmax / cmin));
    };
    auto y = [&](double v) {
      return top + plot_h - plot_h * (std::log(v / lo) / std::log(hi / lo));
    };
    std::string svg = absl::StrFormat(
        "<text x='%d' y='20' font-size='14' font-family='sans-serif'>%s</text>\n"
        "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>\n",
        x0 + left, title, x0 + left, top, plot_w, plot_h);
    for (double tick = lo; tick <= hi * 1.001; tick *= 10) {
      absl::StrAppend(&svg,
                      absl::StrFormat("<text x='%d' y='%.0f' font-size='10' text-anchor='end' "
                                      "font-family='sans-serif'>%g</text>\n",
                                      x0 + left - 4, y(tick) + 3, tick));
    }
    for (const auto& [name, points] : series) {
      for (const Row* row : points) {
        absl::StrAppend(&svg,
                        absl::StrFormat("<text x='%.0f' y='%d' font-size='10' text-anchor='middle' "
                                        "font-family='sans-serif'>%d</text>\n",
                                        x(row->clients), top + plot_h + 14, row->clients));
      }
      break;
    }
    int color = 0;
    for (const auto& [name, points] : series) {
      std::string path;
      for (const Row* row : points) {
        absl::StrAppend(
            &path, path.empty() ? "M" : " L",
            absl::StrFormat("%.1f %.1f", x(row->clients), y(std::max(value(*row), lo))));
      }
      absl::StrAppend(
          &svg, absl::StrFormat("<path d='%s' fill='none' stroke='%s' stroke-width='2'/>\n", path,
                                kColors[color % 10]));
      ++color;
    }
    return svg;
  };
  std::string svg = absl::StrFormat(
      "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d'>\n"
      "<rect width='100%%' height='100%%' fill='white'/>\n",
      width * 2, height + 20 * static_cast<int>(series.size()), width * 2,
      height + 20 * static_cast<int>(series.size()));
  absl::StrAppend(&svg, panel(0, "throughput (ops/s) vs clients",
                              [](const Row& r) { return r.ops_per_second; }));
  absl::StrAppend(&svg, panel(width, "p99 latency (us) vs clients",
                              [](const Row& r) { return r.latency.p99_us; }));
  int color = 0;
  for (const auto& [name, points] : series) {
    absl::StrAppend(
        &svg,
        absl::StrFormat("<rect x='%d' y='%d' width='12' height='4' fill='%s'/>"
                        "<text x='%d' y='%d' font-size='12' font-family='sans-serif'>%s</text>\n",
                        left, height + 10 + 20 * color, kColors[color % 10], left + 18,
                        height + 15 + 20 * color, name));
    ++color;
  }
  return svg + "</svg>\n";
}

}  // namespace taskgres::bench
