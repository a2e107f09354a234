#include "process_stats.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace taskgres::bench {
namespace {

// Fields 14, 15 (utime, stime) and 24 (rss pages) of /proc/<pid>/stat, and its parent (field 4).
bool ReadStat(pid_t pid, ProcessSample* sample, pid_t* parent) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream fields(text.substr(paren + 2));
  std::vector<std::string> values;
  std::string value;
  while (fields >> value) values.push_back(value);
  if (values.size() < 22) return false;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  *parent = static_cast<pid_t>(std::stol(values[1]));
  sample->cpu_seconds = (std::stod(values[11]) + std::stod(values[12])) / ticks;
  sample->rss_bytes = std::stod(values[21]) * static_cast<double>(sysconf(_SC_PAGESIZE));
  return true;
}

}  // namespace

ProcessSample SampleProcesses(const std::vector<pid_t>& pids, bool children) {
  std::set<pid_t> wanted(pids.begin(), pids.end());
  ProcessSample total;
  std::vector<std::pair<pid_t, std::pair<pid_t, ProcessSample>>> all;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    ProcessSample sample;
    pid_t parent = 0;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (ReadStat(pid, &sample, &parent)) all.push_back({pid, {parent, sample}});
  }
  // Grow the set with descendants until it stops changing.
  bool grew = children;
  while (grew) {
    grew = false;
    for (const auto& [pid, info] : all) {
      if (!wanted.contains(pid) && wanted.contains(info.first))
        grew = wanted.insert(pid).second || grew;
    }
  }
  for (const auto& [pid, info] : all) {
    if (!wanted.contains(pid)) continue;
    total.rss_bytes += info.second.rss_bytes;
    total.cpu_seconds += info.second.cpu_seconds;
  }
  return total;
}

}  // namespace taskgres::bench
