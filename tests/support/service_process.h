// Test support: a service binary running as a child process on a free port,
// waited on through grpc.health.v1 and stopped by PID.
#ifndef TASKGRES_TESTS_SUPPORT_SERVICE_PROCESS_H_
#define TASKGRES_TESTS_SUPPORT_SERVICE_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "grpcpp/channel.h"

namespace taskgres::testing {

// Path of a built binary, relative to the build directory (e.g.
// "services/db-router/db-router"). The build dir comes from TASKGRES_BINARY_DIR.
std::string BinaryPath(const std::string& relative);

// A fresh file under the test temp dir holding `content` (mode 0600).
std::string WriteSecretFile(const std::string& name, const std::string& content);

// A random printable token of `length` characters.
std::string RandomToken(size_t length = 32);

// A free TCP port on 127.0.0.1 (bind test), below the ephemeral range.
int FreePort();

// True when 127.0.0.1:`port` can be bound now (a TIME_WAIT socket counts as taken).
bool PortIsFree(int port);

// The first port of the kernel's ephemeral range (ports it gives outgoing connections).
int FirstEphemeralPort();

// Asks grpc.health.v1.Health/Check ("" = whole server); nullopt when unreachable.
std::optional<int> HealthStatus(
    const std::string& address, const std::string& service = "",
    std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));
// The same over TLS, trusting `root_pem`.
std::optional<int> HealthStatusTls(const std::string& address, const std::string& root_pem);

// An insecure channel to `address`.
std::shared_ptr<grpc::Channel> Channel(const std::string& address);

class ServiceProcess {
 public:
  // Starts `binary` with `args` (output to a log file) and waits until its
  // health service reports SERVING on 127.0.0.1:`grpc_port`. On failure adds a
  // test failure with the log and returns null.
  // `ready` replaces the health check (e.g. for TLS).
  static std::unique_ptr<ServiceProcess> Start(
      const std::string& name, const std::string& binary, const std::vector<std::string>& args,
      int grpc_port, std::chrono::milliseconds timeout = std::chrono::seconds(20),
      const std::function<bool()>& ready = nullptr);
  // SIGTERM, then SIGKILL if still running after 5 s.
  ~ServiceProcess();

  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  // "127.0.0.1:<port>".
  std::string address() const;
  pid_t pid() const { return pid_; }
  // Everything the process wrote so far.
  std::string log() const;
  // True while the process has not exited.
  bool running();
  // Sends SIGTERM and waits up to `timeout`; returns the exit code (128+signal
  // when killed by a signal, -1 on timeout) and how long it took.
  int Terminate(std::chrono::milliseconds timeout, std::chrono::milliseconds* took = nullptr);
  // SIGKILL, no grace.
  void Kill();

 private:
  ServiceProcess(std::string name, pid_t pid, int port, std::string log_path)
      : name_(std::move(name)), pid_(pid), port_(port), log_path_(std::move(log_path)) {}
  int Reap(std::chrono::milliseconds timeout);

  std::string name_;
  pid_t pid_;
  int port_;
  std::string log_path_;
  std::optional<int> exit_code_;
};

// Runs a binary to completion (killed after `timeout`); returns its exit code
// (128+signal when killed) and its output in *output.
int RunToExit(const std::string& binary, const std::vector<std::string>& args, std::string* output,
              std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace taskgres::testing

#endif  // TASKGRES_TESTS_SUPPORT_SERVICE_PROCESS_H_
