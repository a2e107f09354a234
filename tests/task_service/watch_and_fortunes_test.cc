// Live updates and fortunes over real gRPC: WatchTasks delivers changes from
// every writer to whoever may see them; generators clear, tick and stop.
#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "stack/full_stack.h"
#include "taskgres/v1/fortune_service.grpc.pb.h"

namespace taskgres::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Reads a WatchTasks stream on its own thread.
class Watcher {
 public:
  Watcher(TaskClient& client, const std::string& owner, bool read = true) {
    context_ = client.Context(std::chrono::seconds(120));
    v1::WatchTasksRequest request;
    request.set_owner(owner);
    reader_ = client.stub().WatchTasks(context_.get(), request);
    reader_->WaitForInitialMetadata();
    active_ = context_->GetServerInitialMetadata().count("x-taskgres-watch") == 1;
    if (read) Start();
  }
  ~Watcher() {
    context_->TryCancel();
    if (thread_.joinable()) thread_.join();
  }
  void Start() {
    thread_ = std::thread([this] {
      v1::TaskEvent event;
      while (reader_->Read(&event)) {
        std::lock_guard lock(mutex_);
        events_.emplace_back(event, Clock::now());
      }
      std::lock_guard lock(mutex_);
      status_ = reader_->Finish();
      ended_ = true;
    });
  }
  bool active() const { return active_; }
  // When the event for task `id` of `type` arrived, if it did.
  std::optional<Clock::time_point> Seen(int64_t id, v1::TaskEvent::Type type) {
    std::lock_guard lock(mutex_);
    for (const auto& [event, when] : events_) {
      if (event.task().id() == id && event.type() == type) return when;
    }
    return std::nullopt;
  }
  size_t count() {
    std::lock_guard lock(mutex_);
    return events_.size();
  }
  bool ended() {
    std::lock_guard lock(mutex_);
    return ended_;
  }
  grpc::Status status() {
    std::lock_guard lock(mutex_);
    return status_;
  }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<v1::TaskEvent>> reader_;
  bool active_ = false;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::pair<v1::TaskEvent, Clock::time_point>> events_;
  bool ended_ = false;
  grpc::Status status_;
};

class WatchAndFortunesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = FullStack::Start({"--watch-buffer=1000"}).release();
    ASSERT_NE(stack_, nullptr);
  }
  static void TearDownTestSuite() { delete stack_; }
  void SetUp() override { ASSERT_NE(stack_, nullptr); }

  static FullStack* stack_;
};

FullStack* WatchAndFortunesTest::stack_ = nullptr;

TEST_F(WatchAndFortunesTest, ChangesReachTheOwnerAndAdminsButNoOneElse) {
  TaskClient erin = stack_->NewUser("erin");
  TaskClient frank = stack_->NewUser("frank");
  TaskClient admin = stack_->Admin();
  Watcher erin_watch(erin, "");
  Watcher frank_watch(frank, "");
  Watcher admin_watch(admin, "*");
  ASSERT_TRUE(erin_watch.active() && frank_watch.active() && admin_watch.active());

  const auto start = Clock::now();
  v1::Task task;
  ASSERT_TRUE(erin.Create("watch me", &task).ok());
  ASSERT_TRUE(
      WaitFor([&] { return erin_watch.Seen(task.id(), v1::TaskEvent::TYPE_CREATED).has_value(); },
              milliseconds(1000)));
  ASSERT_TRUE(
      WaitFor([&] { return admin_watch.Seen(task.id(), v1::TaskEvent::TYPE_CREATED).has_value(); },
              milliseconds(1000)));
  // Both within 1 s of the create call, not of each other.
  EXPECT_LT(*erin_watch.Seen(task.id(), v1::TaskEvent::TYPE_CREATED) - start, milliseconds(1000));
  EXPECT_LT(*admin_watch.Seen(task.id(), v1::TaskEvent::TYPE_CREATED) - start, milliseconds(1000));
  std::cout << "created event after "
            << std::chrono::duration<double, std::milli>(
                   *erin_watch.Seen(task.id(), v1::TaskEvent::TYPE_CREATED) - start)
                   .count()
            << " ms\n";

  // Changes by an admin, and by SQL behind the API, show up too.
  v1::UpdateTaskRequest update;
  update.set_id(task.id());
  update.set_done(true);
  v1::Task updated;
  ASSERT_TRUE(admin.stub().UpdateTask(admin.Context().get(), update, &updated).ok());
  ASSERT_TRUE(
      WaitFor([&] { return erin_watch.Seen(task.id(), v1::TaskEvent::TYPE_UPDATED).has_value(); },
              milliseconds(1000)));
  auto primary = stack_->Primary();
  ASSERT_TRUE(
      primary->Query("DELETE FROM tasks WHERE id = $1", {std::to_string(task.id())}).has_value());
  ASSERT_TRUE(
      WaitFor([&] { return erin_watch.Seen(task.id(), v1::TaskEvent::TYPE_DELETED).has_value(); },
              milliseconds(1000)));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(frank_watch.count(), 0u) << "frank saw erin's task";
}

TEST_F(WatchAndFortunesTest, ASlowWatcherIsCutOffWithoutSlowingOthers) {
  TaskClient gina = stack_->NewUser("gina");
  Watcher slow(gina, "", /*read=*/false);
  Watcher fast(gina, "");
  ASSERT_TRUE(slow.active() && fast.active());
  auto primary = stack_->Primary();
  // About 9 MB of changes in bursts: more than the transport buffers for a
  // reader that never reads, plus its 1000-event queue.
  constexpr size_t kBursts = 30;
  constexpr size_t kPerBurst = 300;
  for (size_t burst = 0; burst < kBursts; ++burst) {
    ASSERT_TRUE(
        primary
            ->Query(
                "INSERT INTO tasks (owner, description, source) "
                "SELECT 'gina', repeat('x', 900) || g, 'MANUAL' FROM generate_series(1, $1::int) g",
                {std::to_string(kPerBurst)})
            .has_value());
    std::this_thread::sleep_for(milliseconds(30));
  }
  ASSERT_TRUE(WaitFor([&] { return fast.count() == kBursts * kPerBurst; }, milliseconds(30000)))
      << fast.count() << " events reached the reading watcher";
  EXPECT_FALSE(fast.ended()) << fast.status().error_message();
  slow.Start();  // now read what is left: it must end with RESOURCE_EXHAUSTED
  ASSERT_TRUE(WaitFor([&] { return slow.ended(); }, milliseconds(10000)));
  EXPECT_EQ(slow.status().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << slow.status().error_message();
  EXPECT_LT(slow.count(), kBursts * kPerBurst);
  std::cout << "the slow watcher got " << slow.count() << " events before being cut off\n";

  // Cut off is not locked out: a new subscription works at once.
  Watcher again(gina, "");
  ASSERT_TRUE(again.active());
  v1::Task task;
  ASSERT_TRUE(gina.Create("after the cut-off", &task).ok());
  EXPECT_TRUE(
      WaitFor([&] { return again.Seen(task.id(), v1::TaskEvent::TYPE_CREATED).has_value(); },
              milliseconds(1000)));
}

// Reads a GenerateFortunes stream on its own thread.
class FortuneStream {
 public:
  FortuneStream(TaskClient& client, int interval_ms, int max_count = 0) {
    context_ = client.Context(std::chrono::seconds(120));
    v1::GenerateFortunesRequest request;
    request.set_interval_ms(interval_ms);
    request.set_max_count(max_count);
    reader_ = client.stub().GenerateFortunes(context_.get(), request);
    thread_ = std::thread([this] {
      v1::Task task;
      while (reader_->Read(&task)) {
        std::lock_guard lock(mutex_);
        tasks_.emplace_back(task, Clock::now());
      }
      std::lock_guard lock(mutex_);
      status_ = reader_->Finish();
      ended_ = true;
    });
  }
  ~FortuneStream() {
    Cancel();
    thread_.join();
  }
  void Cancel() { context_->TryCancel(); }
  std::vector<std::pair<v1::Task, Clock::time_point>> tasks() {
    std::lock_guard lock(mutex_);
    return tasks_;
  }
  bool ended() {
    std::lock_guard lock(mutex_);
    return ended_;
  }
  grpc::Status status() {
    std::lock_guard lock(mutex_);
    return status_;
  }
  std::string cleared() {
    const auto& metadata = context_->GetServerInitialMetadata();
    auto it = metadata.find("x-taskgres-fortunes-cleared");
    return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
  }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<v1::Task>> reader_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::pair<v1::Task, Clock::time_point>> tasks_;
  bool ended_ = false;
  grpc::Status status_;
};

TEST_F(WatchAndFortunesTest, GeneratorClearsOldFortunesKeepsManualTasksAndTicks) {
  TaskClient hank = stack_->NewUser("hank");
  auto primary = stack_->Primary();
  ASSERT_TRUE(
      primary
          ->Query("INSERT INTO tasks (owner, description, source) VALUES "
                  "('hank', 'old fortune 1', 'FORTUNE'), ('hank', 'old fortune 2', 'FORTUNE'), "
                  "('hank', 'old fortune 3', 'FORTUNE')")
          .has_value());
  v1::Task manual;
  ASSERT_TRUE(hank.Create("manual one", &manual).ok());
  ASSERT_TRUE(hank.Create("manual two", &manual).ok());
  Watcher watch(hank, "");
  TaskClient admin = stack_->Admin();
  Watcher admin_watch(admin, "*");
  ASSERT_TRUE(watch.active() && admin_watch.active());

  const auto start = Clock::now();
  FortuneStream stream(hank, 200);
  std::this_thread::sleep_for(milliseconds(1200));
  const auto received = stream.tasks();
  std::cout << received.size() << " fortunes within 1.2 s\n";
  ASSERT_GE(received.size(), 4u);
  EXPECT_EQ(stream.cleared(), "3");
  for (const auto& [fortune, when] : received) {
    const v1::Task& task = fortune;  // a lambda below uses it (clang 14 cannot capture bindings)
    EXPECT_EQ(task.source(), v1::TASK_SOURCE_FORTUNE);
    EXPECT_EQ(task.owner(), "hank");
    EXPECT_LT(when - start, milliseconds(1200));
    EXPECT_EQ(
        primary->Scalar("SELECT description FROM tasks WHERE id = $1", {std::to_string(task.id())}),
        task.description());
    EXPECT_TRUE(WaitFor(
        [&] {
          return watch.Seen(task.id(), v1::TaskEvent::TYPE_CREATED).has_value() &&
                 admin_watch.Seen(task.id(), v1::TaskEvent::TYPE_CREATED).has_value();
        },
        milliseconds(1000)))
        << "fortune " << task.id() << " missing on the owner's or the admin's watch";
  }
  EXPECT_EQ(
      primary->Scalar(
          "SELECT count(*) FROM tasks WHERE owner = 'hank' AND description LIKE 'old fortune%'"),
      "0");
  EXPECT_EQ(
      primary->Scalar("SELECT count(*) FROM tasks WHERE owner = 'hank' AND source = 'MANUAL'"),
      "2");

  // A second generator for the same user is refused while this one runs.
  FortuneStream second(hank, 200);
  ASSERT_TRUE(WaitFor([&] { return second.ended(); }, milliseconds(5000)));
  EXPECT_EQ(second.status().error_code(), grpc::StatusCode::ALREADY_EXISTS);

  // Cancelling stops inserts within one interval.
  stream.Cancel();
  ASSERT_TRUE(WaitFor([&] { return stream.ended(); }, milliseconds(2000)));
  std::this_thread::sleep_for(milliseconds(200));
  const auto count_after_stop =
      primary->Scalar("SELECT count(*) FROM tasks WHERE owner = 'hank' AND source = 'FORTUNE'");
  std::this_thread::sleep_for(milliseconds(1000));
  EXPECT_EQ(
      primary->Scalar("SELECT count(*) FROM tasks WHERE owner = 'hank' AND source = 'FORTUNE'"),
      count_after_stop);

  // And the slot is free again.
  FortuneStream third(hank, 100, 2);
  ASSERT_TRUE(WaitFor([&] { return third.ended(); }, milliseconds(5000)));
  EXPECT_TRUE(third.status().ok()) << third.status().error_message();
  EXPECT_EQ(third.tasks().size(), 2u);
}

TEST_F(WatchAndFortunesTest, BadGeneratorRequestsAreRefused) {
  TaskClient ida = stack_->NewUser("ida");
  FortuneStream too_fast(ida, 50);
  ASSERT_TRUE(WaitFor([&] { return too_fast.ended(); }, milliseconds(5000)));
  EXPECT_EQ(too_fast.status().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(too_fast.status().error_message().find("at least 100"), std::string::npos);
}

// Calls FortuneService.Generate directly, as task-service does; returns the
// final status and the tasks streamed.
grpc::Status GenerateDirectly(const std::string& address, const std::string& token,
                              const v1::GenerateRequest& request, std::vector<v1::Task>* tasks) {
  auto stub = v1::FortuneService::NewStub(Channel(address));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  auto reader = stub->Generate(&context, request);
  v1::Task task;
  while (reader->Read(&task)) tasks->push_back(task);
  return reader->Finish();
}

TEST_F(WatchAndFortunesTest, FortuneServiceServesOnlyServicesAndHonoursItsOptions) {
  std::ifstream token_file(stack_->service_token_file);
  std::stringstream token_text;
  token_text << token_file.rdbuf();
  std::string token = token_text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  const std::string address = stack_->fortune->address();
  TaskClient lena = stack_->NewUser("lena");  // the owner must exist
  v1::GenerateRequest request;
  request.set_owner("lena");
  request.set_interval_ms(100);
  request.set_max_count(2);
  std::vector<v1::Task> tasks;

  // Only holders of the service credential may generate for anyone.
  EXPECT_EQ(GenerateDirectly(address, "", request, &tasks).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GenerateDirectly(address, RandomToken(), request, &tasks).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(tasks.empty());

  v1::GenerateRequest bad = request;
  bad.set_owner("");
  EXPECT_EQ(GenerateDirectly(address, token, bad, &tasks).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad = request;
  bad.set_max_count(-1);
  grpc::Status status = GenerateDirectly(address, token, bad, &tasks);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("max_count"), std::string::npos) << status.error_message();
  EXPECT_TRUE(tasks.empty());

  // Two runs without clearing: the first run's fortunes stay.
  request.set_clear_previous(false);
  status = GenerateDirectly(address, token, request, &tasks);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = GenerateDirectly(address, token, request, &tasks);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(tasks.size(), 4u);
  // Checked on the primary: these writes bypassed task-service, which
  // therefore holds no LSN of them for lena.
  auto primary = stack_->Primary();
  const std::string ids =
      "SELECT string_agg(id::text, ',' ORDER BY id) FROM tasks "
      "WHERE owner = 'lena' AND source = 'FORTUNE'";
  auto joined = [](const std::vector<v1::Task>& list) {
    std::string text;
    for (const v1::Task& task : list) {
      if (!text.empty()) text += ',';
      text += std::to_string(task.id());
    }
    return text;
  };
  EXPECT_EQ(primary->Scalar(ids), joined(tasks));
  // With clearing (the default), only the new run's fortunes are left.
  request.clear_clear_previous();
  tasks.clear();
  status = GenerateDirectly(address, token, request, &tasks);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(primary->Scalar(ids), joined(tasks));
}

TEST_F(WatchAndFortunesTest, DeleteFortunesRemovesOnlyFortunes) {
  TaskClient jack = stack_->NewUser("jack");
  FortuneStream stream(jack, 100, 3);
  ASSERT_TRUE(WaitFor([&] { return stream.ended(); }, milliseconds(5000)));
  ASSERT_EQ(stream.tasks().size(), 3u);
  v1::Task manual;
  ASSERT_TRUE(jack.Create("keep me", &manual).ok());
  v1::DeleteFortunesResponse response;
  ASSERT_TRUE(jack.stub()
                  .DeleteFortunes(jack.Context().get(), v1::DeleteFortunesRequest(), &response)
                  .ok());
  EXPECT_EQ(response.deleted(), 3);
  std::vector<v1::Task> left;
  ASSERT_TRUE(jack.List("", &left).ok());
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].description(), "keep me");
}

}  // namespace
}  // namespace taskgres::testing
