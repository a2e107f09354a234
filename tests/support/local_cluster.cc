#include "support/local_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>
#include <utility>

#include "support/service_process.h"

#ifndef TASKGRES_SOURCE_DIR
#error "TASKGRES_SOURCE_DIR (the repository root, a string literal) must be defined"
#endif

extern char** environ;

namespace taskgres::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kNull = "<null>";

// Removes trailing newlines and spaces.
std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Reads a whole file; empty when unreadable.
std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Quotes a value for a libpq keyword/value connection string.
std::string QuoteConnValue(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

// Closes a file descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// PgConnection

PgConnection::PgConnection(const std::string& conninfo) {
  // Later keywords win, so the expanded `conninfo` (dbname) overrides these defaults.
  const char* keywords[] = {"connect_timeout", "options", "dbname", nullptr};
  const char* values[] = {"5", "-c statement_timeout=30000", conninfo.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

bool PgConnection::ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

std::string PgConnection::error() const {
  if (conn_ == nullptr) return "out of memory allocating a libpq connection";
  return TrimRight(PQerrorMessage(conn_));
}

PGconn* PgConnection::get() const { return conn_; }

bool PgConnection::AwaitResult(Clock::time_point deadline) const {
  while (PQisBusy(conn_)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{PQsocket(conn_), POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) return false;
    if (PQconsumeInput(conn_) == 0) return true;  // connection lost: PQgetResult reports it
  }
  return true;
}

std::optional<Rows> PgConnection::Query(const std::string& sql,
                                        const std::vector<std::string>& params,
                                        std::string* error) const {
  auto fail = [error](std::string message) -> std::optional<Rows> {
    if (error != nullptr) *error = TrimRight(std::move(message));
    return std::nullopt;
  };
  if (!ok()) return fail("08006: not connected: " + this->error());
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, /*resultFormat=*/0) == 0) {
    return fail(std::string("08006: ") + PQerrorMessage(conn_));
  }

  bool timed_out = false;
  if (!AwaitResult(Clock::now() + query_timeout_)) {
    timed_out = true;
    char reason[256] = {};
    std::unique_ptr<PGcancel, decltype(&PQfreeCancel)> cancel(PQgetCancel(conn_), &PQfreeCancel);
    if (cancel) PQcancel(cancel.get(), reason, sizeof(reason));
    if (!AwaitResult(Clock::now() + std::chrono::seconds(5))) {
      return fail("57014: query did not finish within " + std::to_string(query_timeout_.count()) +
                  " ms and did not answer the cancel request");
    }
  }

  // Collect every result (one for a single statement), keeping the first error.
  std::optional<Rows> rows;
  std::string first_error;
  while (true) {
    if (!AwaitResult(Clock::now() + std::chrono::seconds(5))) {
      if (first_error.empty()) first_error = "08006: result did not arrive";
      break;
    }
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQgetResult(conn_), &PQclear);
    if (!result) break;
    ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_COMMAND_OK) {
      if (!rows) rows = Rows{};
    } else if (status == PGRES_TUPLES_OK) {
      Rows collected;
      int n_rows = PQntuples(result.get());
      int n_cols = PQnfields(result.get());
      collected.reserve(n_rows);
      for (int r = 0; r < n_rows; ++r) {
        std::vector<std::string> row;
        row.reserve(n_cols);
        for (int c = 0; c < n_cols; ++c) {
          row.emplace_back(PQgetisnull(result.get(), r, c) ? kNull
                                                           : PQgetvalue(result.get(), r, c));
        }
        collected.push_back(std::move(row));
      }
      rows = std::move(collected);
    } else if (first_error.empty()) {
      const char* sqlstate = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
      std::string message = PQresultErrorMessage(result.get());
      if (message.empty()) message = PQerrorMessage(conn_);
      first_error = std::string(sqlstate != nullptr ? sqlstate : "08006") + ": " + message;
    }
  }
  if (timed_out) {
    return fail("57014: query cancelled by the client after " +
                std::to_string(query_timeout_.count()) + " ms" +
                (first_error.empty() ? "" : " (" + TrimRight(first_error) + ")"));
  }
  if (!first_error.empty()) return fail(first_error);
  if (!rows) return fail("08006: no result");
  return rows;
}

std::optional<std::string> PgConnection::Scalar(const std::string& sql,
                                                const std::vector<std::string>& params,
                                                std::string* error) const {
  std::optional<Rows> rows = Query(sql, params, error);
  if (!rows || rows->empty() || rows->front().empty()) {
    if (rows && error != nullptr) *error = "query returned no value";
    return std::nullopt;
  }
  return rows->front().front();
}

// ---------------------------------------------------------------------------------------------
// Free functions

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int FindFreePorts(int count) {
  std::random_device seed;
  std::mt19937 generator(seed());
  // Below the ephemeral range: see FreePort().
  std::uniform_int_distribution<int> base_port(10000, FirstEphemeralPort() - count);
  for (int attempt = 0; attempt < 500; ++attempt) {
    int base = base_port(generator);
    bool all_free = true;
    for (int i = 0; i < count && all_free; ++i) all_free = PortIsFree(base + i);
    if (all_free) return base;
  }
  return -1;
}

int RunLauncher(const std::string& state_dir, int base_port, const std::string& args,
                std::string* output, std::chrono::milliseconds timeout) {
  std::string ignored;
  std::string& out = output != nullptr ? *output : ignored;
  out.clear();

  // Environment: ours minus the two cluster variables, plus this cluster's values.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    if (entry.rfind("TASKGRES_STATE_DIR=", 0) == 0 || entry.rfind("TASKGRES_PG_PORT=", 0) == 0) {
      continue;
    }
    env_strings.push_back(std::move(entry));
  }
  env_strings.push_back("TASKGRES_STATE_DIR=" + state_dir);
  env_strings.push_back("TASKGRES_PG_PORT=" + std::to_string(base_port));
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::string launcher = std::string(TASKGRES_SOURCE_DIR) + "/taskgres";
  std::string shell = "/bin/sh";
  std::string dash_c = "-c";
  std::string script = "exec \"$0\" " + args;
  std::vector<char*> argv = {shell.data(), dash_c.data(), script.data(), launcher.data(), nullptr};

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    out = "pipe2 failed: " + std::string(strerror(errno));
    return -1;
  }
  FdCloser read_end(pipe_fds[0]);
  FdCloser write_end(pipe_fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  int spawn_error = posix_spawn(&pid, shell.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  write_end.Close();
  if (spawn_error != 0) {
    out = "posix_spawn failed: " + std::string(strerror(spawn_error));
    return -1;
  }

  // Read until EOF; stop shortly after the child exits even if a grandchild kept the pipe.
  const Clock::time_point deadline = Clock::now() + timeout;
  bool timed_out = false;
  int status = 0;
  bool reaped = false;
  char buffer[4096];
  while (true) {
    pollfd pfd{pipe_fds[0], POLLIN, 0};
    int ready = poll(&pfd, 1, 100);
    if (ready > 0) {
      ssize_t n = read(pipe_fds[0], buffer, sizeof(buffer));
      if (n > 0) {
        out.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) break;  // EOF
      if (errno != EINTR) break;
    }
    if (!reaped && waitpid(pid, &status, WNOHANG) == pid) {
      reaped = true;
      // Drain what is already buffered, then stop.
      int flags = fcntl(pipe_fds[0], F_GETFL);
      fcntl(pipe_fds[0], F_SETFL, flags | O_NONBLOCK);
      ssize_t n;
      while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0) {
        out.append(buffer, static_cast<size_t>(n));
      }
      break;
    }
    if (Clock::now() >= deadline) {
      timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
  }
  if (!reaped) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (timed_out) {
    out += "\n[killed: ./taskgres " + args + " did not finish within " +
           std::to_string(timeout.count()) + " ms]\n";
    return 128 + SIGKILL;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// ---------------------------------------------------------------------------------------------
// LocalCluster

LocalCluster::LocalCluster(std::string state_dir, int base_port)
    : state_dir_(std::move(state_dir)), base_port_(base_port) {}

std::unique_ptr<LocalCluster> LocalCluster::Start() {
  std::string pattern = (std::filesystem::temp_directory_path() / "taskgres-cluster-XXXXXX");
  std::vector<char> dir_buffer(pattern.begin(), pattern.end());
  dir_buffer.push_back('\0');
  if (mkdtemp(dir_buffer.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp(" << pattern << ") failed: " << strerror(errno);
    return nullptr;
  }
  std::string state_dir(dir_buffer.data());
  std::string output;
  for (int attempt = 0; attempt < 2; ++attempt) {
    int base = FindFreePorts(3);
    if (base < 0) {
      output = "no three consecutive free ports found on 127.0.0.1";
      break;
    }
    const Clock::time_point started = Clock::now();
    int code = RunLauncher(state_dir, base, "cluster up", &output);
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    if (code == 0) {
      std::unique_ptr<LocalCluster> cluster(new LocalCluster(state_dir, base));
      cluster->startup_time_ = elapsed;
      return cluster;
    }
    std::string down_output;
    RunLauncher(state_dir, base, "cluster down --purge", &down_output);
    output += "\n(exit code " + std::to_string(code) + ")";
    // Another process may have grabbed a port between our bind test and the servers' start.
    if (output.find("already in use") == std::string::npos) break;
  }
  ADD_FAILURE() << "./taskgres cluster up failed:\n" << output;
  std::error_code ignored;
  std::filesystem::remove_all(state_dir, ignored);
  return nullptr;
}

LocalCluster::~LocalCluster() {
  std::string output;
  int code = Run("down --purge", &output);
  if (code != 0) {
    std::cerr << "./taskgres cluster down --purge failed (exit " << code << "):\n"
              << output << std::endl;
  }
  std::error_code ignored;
  std::filesystem::remove_all(state_dir_, ignored);
}

int LocalCluster::port(int node) const { return base_port_ + node; }

std::string LocalCluster::hosts() const {
  std::string hosts;
  for (int node = 0; node < 3; ++node) {
    if (node > 0) hosts += ",";
    hosts += "127.0.0.1:" + std::to_string(port(node));
  }
  return hosts;
}

std::string LocalCluster::state_dir() const { return state_dir_; }

std::string LocalCluster::password_file() const { return state_dir_ + "/secrets/pg-password"; }

std::string LocalCluster::conninfo(int node) const {
  return "host=127.0.0.1 port=" + std::to_string(port(node)) +
         " dbname=taskgres user=taskgres password=" +
         QuoteConnValue(TrimRight(ReadFile(password_file())));
}

std::string LocalCluster::superuser_conninfo(int node) const {
  return "host=127.0.0.1 port=" + std::to_string(port(node)) +
         " dbname=postgres user=postgres password=" +
         QuoteConnValue(TrimRight(ReadFile(state_dir_ + "/secrets/pg-superuser-password")));
}

std::string LocalCluster::EnvValue(const std::string& key) const {
  std::istringstream env(ReadFile(state_dir_ + "/cluster/cluster.env"));
  std::string line;
  while (std::getline(env, line)) {
    if (line.rfind(key + "=", 0) != 0) continue;
    std::string value = line.substr(key.size() + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return "";
}

int LocalCluster::primary() const {
  std::string value = EnvValue("PG_PRIMARY");
  if (value.size() != 1 || value[0] < '0' || value[0] > '2') return -1;
  return value[0] - '0';
}

std::vector<int> LocalCluster::needs_rewind() const {
  std::istringstream list(EnvValue("PG_NEEDS_REWIND"));
  std::vector<int> nodes;
  int node;
  while (list >> node) nodes.push_back(node);
  return nodes;
}

int LocalCluster::Run(const std::string& args, std::string* output) const {
  return RunLauncher(state_dir_, base_port_, "cluster " + args, output);
}

void LocalCluster::Failover() {
  std::string output;
  EXPECT_EQ(Run("failover", &output), 0) << output;
}

void LocalCluster::StopNode(int n) {
  std::string output;
  EXPECT_EQ(Run("stop-node " + std::to_string(n), &output), 0) << output;
}

void LocalCluster::StartNode(int n) {
  std::string output;
  EXPECT_EQ(Run("start-node " + std::to_string(n), &output), 0) << output;
}

}  // namespace taskgres::testing
