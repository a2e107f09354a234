// What every service binary promises: health, reflection, a valid /metrics
// page, a clean exit on SIGTERM, TLS, and a one-line error for bad
// configuration instead of a crash or a hang.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "stack/full_stack.h"
#include "support/http_get.h"

namespace taskgres::testing {
namespace {

using std::chrono::milliseconds;

struct ServiceUnderTest {
  std::string name;
  std::string address;
  int metrics_port;
  std::string grpc_service;
};

std::vector<ServiceUnderTest> Services(const FullStack& stack) {
  return {
      {"db-router", stack.router->address(), stack.router_metrics_port, "taskgres.v1.DbRouter"},
      {"fortune-service", stack.fortune->address(), stack.fortune_metrics_port,
       "taskgres.v1.FortuneService"},
      {"task-service", stack.task->address(), stack.task_metrics_port, "taskgres.v1.TaskService"}};
}

std::set<std::string> ReflectedServices(const std::string& address) {
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(Channel(address));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto stream = stub->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  std::set<std::string> names;
  if (!stream->Write(request)) return names;
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  while (stream->Read(&response)) {
    for (const auto& service : response.list_services_response().service())
      names.insert(service.name());
  }
  stream->Finish();
  return names;
}

// Lines of a service's output that are errors.
std::vector<std::string> ErrorLines(const std::string& output) {
  std::vector<std::string> errors;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("\"level\":\"error\"") != std::string::npos || line.rfind("error", 0) == 0 ||
        line.find("ERROR") != std::string::npos) {
      errors.push_back(line);
    }
  }
  return errors;
}

// A socket listening on a free port, to make "port in use" happen.
class HeldPort {
 public:
  HeldPort() : port_(FreePort()) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port_));
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(listen(fd_, 1), 0);
  }
  ~HeldPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int port_;
  int fd_;
};

class ServiceBinariesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = FullStack::Start().release();
    ASSERT_NE(stack_, nullptr);
  }
  static void TearDownTestSuite() { delete stack_; }
  void SetUp() override { ASSERT_NE(stack_, nullptr); }

  static FullStack* stack_;
};

FullStack* ServiceBinariesTest::stack_ = nullptr;

TEST_F(ServiceBinariesTest, EachServiceIsHealthyReflectsItsServicesAndServesValidMetrics) {
  // Some traffic first, so the gRPC metrics have non-zero series.
  TaskClient user = stack_->NewUser("metrics-user");
  v1::Task task;
  ASSERT_TRUE(user.Create("count me", &task).ok());
  v1::Task doomed;
  ASSERT_TRUE(user.Create("delete me", &doomed).ok());
  v1::DeleteTaskRequest delete_request;
  delete_request.set_id(doomed.id());
  v1::DeleteTaskResponse deleted;
  ASSERT_TRUE(user.stub().DeleteTask(user.Context().get(), delete_request, &deleted).ok());
  TaskClient stranger = stack_->Anonymous();
  EXPECT_EQ(stranger.Login("metrics-user", "wrong-password").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto watch_context = user.Context();
  auto watch = user.stub().WatchTasks(watch_context.get(), v1::WatchTasksRequest());
  watch->WaitForInitialMetadata();
  for (const ServiceUnderTest& service : Services(*stack_)) {
    SCOPED_TRACE(service.name);
    EXPECT_EQ(HealthStatus(service.address), 1);  // SERVING
    EXPECT_EQ(HealthStatus(service.address, service.grpc_service), 1);
    const std::set<std::string> reflected = ReflectedServices(service.address);
    EXPECT_TRUE(reflected.contains(service.grpc_service));
    EXPECT_TRUE(reflected.contains("grpc.health.v1.Health"));
    EXPECT_TRUE(reflected.contains("grpc.reflection.v1alpha.ServerReflection"));

    std::optional<std::string> metrics = HttpGet(service.metrics_port, "/metrics");
    ASSERT_TRUE(metrics.has_value());
    for (const char* family :
         {"process_resident_memory_bytes", "process_cpu_seconds_total",
          "process_start_time_seconds", "process_open_fds", "grpc_server_handled_total",
          "grpc_server_started_total", "grpc_server_handling_seconds_bucket"}) {
      EXPECT_NE(metrics->find(family), std::string::npos) << family;
    }
    std::string promtool;
    EXPECT_EQ(RunWithInput("promtool check metrics", *metrics, &promtool), 0) << promtool;
  }
  const std::string task_metrics = *HttpGet(stack_->task_metrics_port, "/metrics");
  EXPECT_NE(
      task_metrics.find("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"CreateTask\","
                        "grpc_service=\"taskgres.v1.TaskService\",grpc_type=\"unary\"} 2"),
      std::string::npos);
  EXPECT_NE(task_metrics.find("taskgres_logins_total{result=\"success\"} 1"), std::string::npos);
  EXPECT_NE(task_metrics.find("taskgres_logins_total{result=\"failure\"} 1"), std::string::npos);
  EXPECT_NE(task_metrics.find("taskgres_tasks_created_total{source=\"manual\"} 2"),
            std::string::npos);
  EXPECT_NE(task_metrics.find("taskgres_tasks_deleted_total 1"), std::string::npos);
  EXPECT_NE(task_metrics.find("taskgres_watch_subscribers 1"), std::string::npos);
  const std::string router_metrics = *HttpGet(stack_->router_metrics_port, "/metrics");
  for (const char* family :
       {"taskgres_router_queries_total", "taskgres_router_query_duration_seconds",
        "taskgres_router_node_up", "taskgres_router_replication_lag_bytes",
        "taskgres_router_replication_lag_seconds", "taskgres_router_pool_connections",
        "taskgres_router_pool_wait_seconds", "taskgres_router_primary_changes_total"}) {
    EXPECT_NE(router_metrics.find(family), std::string::npos) << family;
  }
  const std::string fortune_metrics = *HttpGet(stack_->fortune_metrics_port, "/metrics");
  for (const char* family :
       {"taskgres_fortunes_generated_total", "taskgres_fortune_generators_active",
        "taskgres_fortune_insert_failures_total"}) {
    EXPECT_NE(fortune_metrics.find(family), std::string::npos) << family;
  }
}

TEST(ServiceShutdownTest, EveryServiceExitsZeroWithinFiveSecondsOfSigtermEvenWithOpenStreams) {
  auto stack = FullStack::Start();
  ASSERT_NE(stack, nullptr);
  TaskClient user = stack->NewUser("streamer");
  // Long-lived streams the shutdown has to end.
  auto watch_context = user.Context(std::chrono::seconds(60));
  auto watch = user.stub().WatchTasks(watch_context.get(), v1::WatchTasksRequest());
  watch->WaitForInitialMetadata();
  auto fortune_context = user.Context(std::chrono::seconds(60));
  v1::GenerateFortunesRequest generate;
  generate.set_interval_ms(1000);
  auto fortunes = user.stub().GenerateFortunes(fortune_context.get(), generate);
  v1::Task first;
  ASSERT_TRUE(fortunes->Read(&first));

  for (ServiceProcess* process : {stack->task.get(), stack->fortune.get(), stack->router.get()}) {
    milliseconds took{0};
    const int code = process->Terminate(std::chrono::seconds(10), &took);
    std::cout << "stopped in " << took.count() << " ms\n";
    EXPECT_EQ(code, 0) << process->log();
    EXPECT_LT(took, std::chrono::seconds(5));
  }
  v1::TaskEvent event;
  while (watch->Read(&event)) {
  }
  EXPECT_FALSE(watch->Finish().ok());
  v1::Task task;
  while (fortunes->Read(&task)) {
  }
  EXPECT_FALSE(fortunes->Finish().ok());
}

TEST_F(ServiceBinariesTest, TlsServesWithTheGivenCertificate) {
  const std::string dir = ::testing::TempDir();
  const std::string cert = dir + "tls-cert.pem";
  const std::string key = dir + "tls-key.pem";
  std::string output;
  ASSERT_EQ(RunWithInput("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                         "-addext subjectAltName=IP:127.0.0.1 -keyout " +
                             key + " -out " + cert,
                         "", &output),
            0)
      << output;
  std::ifstream cert_in(cert);
  std::stringstream pem;
  pem << cert_in.rdbuf();
  const int port = FreePort();
  const std::string address = "127.0.0.1:" + std::to_string(port);
  auto fortune = ServiceProcess::Start(
      "fortune-tls", BinaryPath("services/fortune-service/fortune-service"),
      {"--listen=" + address, "--metrics-listen=127.0.0.1:" + std::to_string(FreePort()),
       "--service-token-file=" + stack_->service_token_file,
       "--db-router=" + stack_->router->address(), "--tls-cert-file=" + cert,
       "--tls-key-file=" + key},
      port, std::chrono::seconds(20), [&] { return HealthStatusTls(address, pem.str()) == 1; });
  ASSERT_NE(fortune, nullptr);
  EXPECT_EQ(HealthStatusTls(address, pem.str()), 1);
  EXPECT_FALSE(HealthStatus(address).has_value()) << "plaintext must not be served when TLS is on";
}

struct BadConfig {
  std::string what;
  std::string binary;
  std::vector<std::string> args;
  std::string expected;  // in the error line
};

TEST_F(ServiceBinariesTest, BadConfigurationEndsWithOneClearErrorLine) {
  HeldPort taken;
  const std::string token = "--service-token-file=" + stack_->service_token_file;
  const std::string free_listen = "--listen=127.0.0.1:" + std::to_string(FreePort());
  const std::string free_metrics = "--metrics-listen=127.0.0.1:" + std::to_string(FreePort());
  const std::string router = BinaryPath("services/db-router/db-router");
  const std::string fortune = BinaryPath("services/fortune-service/fortune-service");
  const std::string task = BinaryPath("services/task-service/task-service");
  const std::string hosts = "--db-hosts=" + stack_->cluster->hosts();
  const std::string password = "--db-password-file=" + stack_->cluster->password_file();
  const std::vector<BadConfig> cases = {
      {"missing certificate",
       router,
       {token, hosts, password, free_listen, free_metrics, "--tls-cert-file=/nonexistent/cert.pem",
        "--tls-key-file=/nonexistent/key.pem"},
       "/nonexistent/cert.pem"},
      {"certificate without key",
       fortune,
       {token, free_listen, free_metrics, "--tls-cert-file=/etc/hostname"},
       "--tls-key-file"},
      {"gRPC port in use",
       router,
       {token, hosts, password, "--listen=127.0.0.1:" + std::to_string(taken.port()), free_metrics},
       "127.0.0.1:" + std::to_string(taken.port())},
      {"metrics port in use",
       fortune,
       {token, free_listen, "--metrics-listen=127.0.0.1:" + std::to_string(taken.port())},
       "cannot serve metrics on 127.0.0.1:" + std::to_string(taken.port())},
      {"unreachable database",
       router,
       {token, "--db-hosts=127.0.0.1:1", password, free_listen, free_metrics,
        "--startup-timeout=1s"},
       "127.0.0.1:1"},
      {"unresolvable database host",
       router,
       {token, "--db-hosts=no-such-host.invalid:5432", password, free_listen, free_metrics,
        "--startup-timeout=1s"},
       "no PostgreSQL node"},
      {"wrong database password",
       router,
       {token, hosts, "--db-password-file=" + stack_->token_key_file, free_listen, free_metrics,
        "--startup-timeout=1s"},
       "password authentication failed"},
      {"unreachable db-router",
       task,
       {token, free_listen, free_metrics, "--db-router=127.0.0.1:1",
        "--token-key-file=" + stack_->token_key_file, "--startup-timeout=2s", "--db-timeout=500ms"},
       "db-router at 127.0.0.1:1"},
      {"missing service token",
       router,
       {hosts, password, free_listen, free_metrics},
       "--service-token-file"},
      {"unreadable service token",
       fortune,
       {"--service-token-file=/nonexistent/token", free_listen, free_metrics},
       "/nonexistent/token"},
      {"missing token key", task, {token, free_listen, free_metrics}, "--token-key-file"},
      {"missing fortune file",
       fortune,
       {token, free_listen, free_metrics, "--fortunes=/nonexistent/fortunes.txt"},
       "/nonexistent/fortunes.txt"},
      {"empty fortune file",
       fortune,
       {token, free_listen, free_metrics, "--fortunes=" + WriteSecretFile("empty-fortunes", "")},
       "no usable fortune"},
      {"bad flag value", router, {token, "--probe-interval=soon"}, "probe"},
  };
  for (const BadConfig& bad : cases) {
    SCOPED_TRACE(bad.what);
    std::string output;
    const auto start = std::chrono::steady_clock::now();
    const int code = RunToExit(bad.binary, bad.args, &output, std::chrono::seconds(20));
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_NE(code, 0) << output;
    EXPECT_LT(code, 128) << "crashed or hung:\n" << output;
    EXPECT_LT(took, std::chrono::seconds(15));
    const std::vector<std::string> errors = ErrorLines(output);
    ASSERT_EQ(errors.size(), 1u) << output;
    EXPECT_NE(errors[0].find(bad.expected), std::string::npos) << errors[0];
  }
}

}  // namespace
}  // namespace taskgres::testing
