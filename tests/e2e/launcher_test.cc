// The launcher end to end: `./taskgres up` brings the cluster and every
// service up on a private state directory and ports, the system works, and
// `./taskgres down` leaves no process behind.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "gtest/gtest.h"
#include "stack/full_stack.h"
#include "support/local_cluster.h"

namespace taskgres::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string content = text.str();
  while (!content.empty() && (content.back() == '\n' || content.back() == ' ')) content.pop_back();
  return content;
}

bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  return paren != std::string::npos && text.size() > paren + 2 && text[paren + 2] != 'Z';
}

// A port offset whose six service ports are all free.
int FreeServiceOffset() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int offset = 2000 + static_cast<int>(std::random_device{}() % 500) * 10;
    bool free = true;
    for (int port : {50051, 50052, 50053, 9101, 9102, 9103})
      free = free && PortIsFree(port + offset);
    if (free) return offset;
  }
  return -1;
}

TEST(LauncherTest, UpRunsEverythingAndDownLeavesNothingBehind) {
  const std::string state = ::testing::TempDir() + "taskgres-launcher-" + RandomToken(6);
  const int pg_port = FindFreePorts(3);
  const int offset = FreeServiceOffset();
  ASSERT_GT(pg_port, 0);
  ASSERT_GT(offset, 0);
  const std::string env = "TASKGRES_STATE_DIR=" + state +
                          " TASKGRES_PG_PORT=" + std::to_string(pg_port) +
                          " TASKGRES_UP_PORT_OFFSET=" + std::to_string(offset) +
                          " TASKGRES_SKIP_BUILD=1 TASKGRES_BUILD_DIR=" + TASKGRES_BINARY_DIR + " ";
  const std::string launcher = std::string(TASKGRES_SOURCE_DIR) + "/taskgres";
  const std::string log = state + ".log";
  const int up = std::system((env + launcher + " up > " + log + " 2>&1").c_str());
  ASSERT_EQ(up, 0) << ReadFile(log);
  const std::string output = ReadFile(log);
  EXPECT_NE(output.find("taskgres is up"), std::string::npos) << output;
  EXPECT_NE(output.find("admin-password"), std::string::npos) << output;

  // The public API works with the printed admin credentials.
  const std::string task_address = "127.0.0.1:" + std::to_string(50051 + offset);
  TaskClient admin(task_address);
  ASSERT_TRUE(admin.Login("admin", ReadFile(state + "/secrets/admin-password")).ok());
  v1::Task task;
  ASSERT_TRUE(admin.Create("launched", &task).ok());
  for (int port : {50052, 50053})
    EXPECT_EQ(HealthStatus("127.0.0.1:" + std::to_string(port + offset)), 1);
  // Secrets are private and not printed.
  EXPECT_EQ(std::filesystem::status(state + "/secrets").permissions() &
                std::filesystem::perms::others_all,
            std::filesystem::perms::none);
  EXPECT_EQ(output.find(ReadFile(state + "/secrets/admin-password")), std::string::npos);

  std::vector<pid_t> pids;
  for (const char* service : {"db-router", "fortune-service", "task-service"}) {
    pids.push_back(static_cast<pid_t>(std::stol(ReadFile(state + "/run/" + service + ".pid"))));
  }
  const std::string down_log = state + "-down.log";
  ASSERT_EQ(std::system((env + launcher + " down > " + down_log + " 2>&1").c_str()), 0)
      << ReadFile(down_log);
  for (pid_t pid : pids) EXPECT_FALSE(Alive(pid)) << "pid " << pid << " survived ./taskgres down";
  // No PostgreSQL process of this cluster either (its data lives under PG_DATA_ROOT).
  std::string data_root;
  std::istringstream env_file(ReadFile(state + "/cluster/cluster.env"));
  for (std::string line; std::getline(env_file, line);) {
    if (line.rfind("PG_DATA_ROOT=", 0) == 0) data_root = line.substr(13);
  }
  data_root.erase(std::remove(data_root.begin(), data_root.end(), '"'), data_root.end());
  ASSERT_FALSE(data_root.empty());
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename();
    if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0]))) continue;
    std::string cmdline = ReadFile(entry.path().string() + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (ReadFile(entry.path().string() + "/comm") == "postgres" && Alive(std::stoi(pid))) {
      EXPECT_EQ(cmdline.find(data_root), std::string::npos) << "postgres still runs: " << cmdline;
    }
  }
  std::system((env + launcher + " down --purge > /dev/null 2>&1").c_str());
}

}  // namespace
}  // namespace taskgres::testing
