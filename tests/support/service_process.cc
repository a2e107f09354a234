#include "support/service_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

namespace taskgres::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

pid_t Spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::string& log_path) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  // New process group: a test that dies does not leave its services behind the shell.
  setpgid(0, 0);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  execv(binary.c_str(), argv.data());
  _exit(127);
}

}  // namespace

std::string BinaryPath(const std::string& relative) {
  return std::string(TASKGRES_BINARY_DIR) + "/" + relative;
}

std::string RandomToken(size_t length) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::string token;
  for (size_t i = 0; i < length; ++i)
    token.push_back(kAlphabet[device() % (sizeof(kAlphabet) - 1)]);
  return token;
}

std::string WriteSecretFile(const std::string& name, const std::string& content) {
  std::string path = ::testing::TempDir() + name + "-" + RandomToken(8);
  {
    std::ofstream out(path);
    out << content << "\n";
  }
  chmod(path.c_str(), 0600);
  return path;
}

int FirstEphemeralPort() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  range >> low;
  return low > 11000 ? low : 32768;
}

bool PortIsFree(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return free;
}

int FreePort() {
  // Below the ephemeral range, so no outgoing connection can take the port as
  // its source port between this check and the service's bind; and never the
  // same port twice in one test process.
  static std::mutex mutex;
  static std::set<int> handed_out;
  static std::mt19937 generator{std::random_device()()};
  std::lock_guard lock(mutex);
  std::uniform_int_distribution<int> pick(10000, FirstEphemeralPort() - 1);
  for (int attempt = 0; attempt < 500; ++attempt) {
    const int port = pick(generator);
    if (!handed_out.contains(port) && PortIsFree(port)) {
      handed_out.insert(port);
      return port;
    }
  }
  return -1;
}

std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(256 << 20);
  arguments.SetMaxSendMessageSize(256 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
}

std::optional<int> HealthStatus(const std::string& address, const std::string& service,
                                std::chrono::milliseconds timeout) {
  auto stub = grpc::health::v1::Health::NewStub(Channel(address));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return std::nullopt;
  return static_cast<int>(response.status());
}

std::optional<int> HealthStatusTls(const std::string& address, const std::string& root_pem) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = root_pem;
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::SslCredentials(options)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::health::v1::HealthCheckResponse response;
  if (!stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok())
    return std::nullopt;
  return static_cast<int>(response.status());
}

std::unique_ptr<ServiceProcess> ServiceProcess::Start(
    const std::string& name, const std::string& binary, const std::vector<std::string>& args,
    int grpc_port, std::chrono::milliseconds timeout, const std::function<bool()>& ready) {
  const std::string log_path = ::testing::TempDir() + name + "-" + RandomToken(8) + ".log";
  const pid_t pid = Spawn(binary, args, log_path);
  std::unique_ptr<ServiceProcess> process(new ServiceProcess(name, pid, grpc_port, log_path));
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (!process->running()) {
      ADD_FAILURE() << name << " exited with " << process->exit_code_.value_or(-1)
                    << " while starting:\n"
                    << process->log();
      return nullptr;
    }
    const bool serving =
        ready ? ready()
              : HealthStatus(process->address(), "", std::chrono::milliseconds(500)) ==
                    grpc::health::v1::HealthCheckResponse::SERVING;
    if (serving) return process;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << name << " did not report SERVING within " << timeout.count() << " ms:\n"
                << process->log();
  return nullptr;
}

ServiceProcess::~ServiceProcess() {
  if (running() && Terminate(std::chrono::seconds(5)) == -1) Kill();
}

std::string ServiceProcess::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string ServiceProcess::log() const { return ReadAll(log_path_); }

bool ServiceProcess::running() {
  if (exit_code_) return false;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    exit_code_ = ExitCode(status);
    return false;
  }
  return done == 0;
}

int ServiceProcess::Reap(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (running()) {
    if (Clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_.value_or(-1);
}

int ServiceProcess::Terminate(std::chrono::milliseconds timeout, std::chrono::milliseconds* took) {
  const auto start = Clock::now();
  if (running()) kill(pid_, SIGTERM);
  const int code = Reap(timeout);
  if (took != nullptr)
    *took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return code;
}

void ServiceProcess::Kill() {
  if (running()) kill(pid_, SIGKILL);
  Reap(std::chrono::seconds(5));
}

int RunToExit(const std::string& binary, const std::vector<std::string>& args, std::string* output,
              std::chrono::milliseconds timeout) {
  const std::string log_path = ::testing::TempDir() + "run-" + RandomToken(8) + ".log";
  const pid_t pid = Spawn(binary, args, log_path);
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  int code = -1;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      code = ExitCode(status);
      break;
    }
    if (Clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      code = 128 + SIGKILL;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (output != nullptr) *output = ReadAll(log_path);
  return code;
}

}  // namespace taskgres::testing
