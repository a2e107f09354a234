// The tasks API over real gRPC against a real cluster: validation, read-your-
// writes through replicas, idempotent creates, optimistic concurrency,
// pagination, and restarts.
#include <atomic>
#include <condition_variable>
#include <map>
#include <set>
#include <thread>

#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "stack/full_stack.h"
#include "tasks/list_query.h"

namespace taskgres::testing {
namespace {

class TasksApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = FullStack::Start().release();
    ASSERT_NE(stack_, nullptr);
  }
  static void TearDownTestSuite() { delete stack_; }
  void SetUp() override { ASSERT_NE(stack_, nullptr); }

  static FullStack* stack_;
};

FullStack* TasksApiTest::stack_ = nullptr;

void ExpectInvalid(const grpc::Status& status, const std::string& message_part) {
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_NE(status.error_message().find(message_part), std::string::npos) << status.error_message();
}

TEST_F(TasksApiTest, EveryValidationRuleHasAClearMessage) {
  TaskClient user = stack_->NewUser("validator");
  v1::Task task;
  ExpectInvalid(user.Create("", &task), "Can't add an empty task");
  ExpectInvalid(user.Create("   \n ", &task), "Can't add an empty task");
  ExpectInvalid(user.Create(std::string(1001, 'x'), &task), "at most 1000 characters");
  ExpectInvalid(user.Create("tab\tinside", &task), "control character");
  ExpectInvalid(user.Create("task", &task, "", std::string(65, 'r')), "request_id");

  TaskClient anonymous = stack_->Anonymous();
  v1::RegisterRequest request;
  v1::User created;
  for (const auto& [username, password, part] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"ab", "long-enough", "3 to 32 characters"},
           {"UPPER", "long-enough", "lower-case"},
           {"has space", "long-enough", "lower-case"},
           {std::string(33, 'a'), "long-enough", "3 to 32"},
           {"okname", "short", "8 to 128 bytes"},
           {"okname", std::string(129, 'p'), "8 to 128 bytes"}}) {
    request.set_username(username);
    request.set_password(password);
    ExpectInvalid(anonymous.stub().Register(anonymous.Context().get(), request, &created), part);
  }
  ExpectInvalid(anonymous.Login("x", "long-enough"), "3 to 32");

  v1::UpdateTaskRequest update;
  update.set_id(1);
  ExpectInvalid(user.stub().UpdateTask(user.Context().get(), update, &task), "nothing to change");
  ASSERT_TRUE(user.Create("fine", &task).ok());
  update.set_id(task.id());
  update.set_description("");
  ExpectInvalid(user.stub().UpdateTask(user.Context().get(), update, &task),
                "Can't add an empty task");

  v1::ListTasksRequest list;
  list.set_page_size(5000);
  v1::ListTasksResponse listed;
  ExpectInvalid(user.stub().ListTasks(user.Context().get(), list, &listed), "page_size");
  list.set_page_size(10);
  list.set_page_token("not-a-token");
  ExpectInvalid(user.stub().ListTasks(user.Context().get(), list, &listed), "page token");
}

// Sends `body` (a serialized request, built by hand) to `method` as-is.
grpc::Status RawUnaryCall(const std::string& address, const TaskClient& client,
                          const std::string& method, const std::string& body) {
  grpc::Slice slice(body);
  grpc::ByteBuffer request(&slice, 1);
  grpc::GenericStub stub(Channel(address));
  auto context = client.Context();
  grpc::ByteBuffer response;
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   std::lock_guard lock(mutex);
                   status = std::move(s);
                   done = true;
                   done_cv.notify_one();
                 });
  std::unique_lock lock(mutex);
  done_cv.wait(lock, [&] { return done; });
  return status;
}

// Sends `body` to the server-streaming `method` and returns how the stream
// ended (only for calls the server refuses: an accepted one would not end).
grpc::Status RawRefusedStreamCall(const std::string& address, const TaskClient& client,
                                  const std::string& method, const std::string& body) {
  grpc::GenericStub stub(Channel(address));
  auto context = client.Context();
  grpc::CompletionQueue queue;
  void* tag = nullptr;
  bool ok = false;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(context.get(), method, &queue);
  call->StartCall(nullptr);
  queue.Next(&tag, &ok);
  grpc::Slice slice(body);
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, nullptr);
  queue.Next(&tag, &ok);
  call->WritesDone(nullptr);
  queue.Next(&tag, &ok);
  grpc::ByteBuffer response;
  int messages = 0;
  do {
    call->Read(&response, nullptr);
    queue.Next(&tag, &ok);
    if (ok) ++messages;
  } while (ok && messages < 100);
  grpc::Status status;
  call->Finish(&status, nullptr);
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  return status;
}

// A length-delimited field `number` holding `bytes` (shorter than 128 bytes).
std::string Field(int number, const std::string& bytes) {
  std::string field;
  field.push_back(static_cast<char>(number << 3 | 2));
  field.push_back(static_cast<char>(bytes.size()));
  return field + bytes;
}

TEST_F(TasksApiTest, InvalidUtf8GetsAClearAnswerAndNeverReachesTheDatabase) {
  // Protobuf clients refuse to send invalid UTF-8 in string fields; a raw
  // client can. The server must answer INVALID_ARGUMENT and store nothing.
  TaskClient user = stack_->NewUser("rawclient");
  grpc::Status status =
      RawUnaryCall(stack_->task->address(), user, "/taskgres.v1.TaskService/CreateTask",
                   Field(1, "bad \xff utf8"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_NE(status.error_message().find("not valid UTF-8"), std::string::npos)
      << status.error_message();
  // The same for an update, and for a username at registration.
  v1::Task task;
  ASSERT_TRUE(user.Create("valid", &task).ok());
  std::string update;
  update.push_back(0x08);  // field 1 (id), varint
  update.push_back(static_cast<char>(task.id()));
  ASSERT_LT(task.id(), 128);
  status = RawUnaryCall(stack_->task->address(), user, "/taskgres.v1.TaskService/UpdateTask",
                        update + Field(2, "still \xc3\x28 bad"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_NE(status.error_message().find("not valid UTF-8"), std::string::npos)
      << status.error_message();
  TaskClient anonymous = stack_->Anonymous();
  status = RawUnaryCall(stack_->task->address(), anonymous, "/taskgres.v1.TaskService/Register",
                        Field(1,
                              "us\xfe\xff"
                              "er") +
                            Field(2, "long-enough"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  // Well-formed requests still work on the same methods.
  status = RawUnaryCall(stack_->task->address(), user, "/taskgres.v1.TaskService/CreateTask",
                        Field(1, "caf\xc3\xa9"));
  EXPECT_TRUE(status.ok()) << status.error_message();
  auto primary = stack_->Primary();
  EXPECT_EQ(primary->Scalar("SELECT count(*) FROM tasks WHERE owner = 'rawclient'"), "2");
  EXPECT_EQ(primary->Scalar("SELECT description FROM tasks WHERE owner = 'rawclient' "
                            "ORDER BY id DESC LIMIT 1"),
            "caf\xc3\xa9");
  EXPECT_EQ(primary->Scalar("SELECT count(*) FROM users WHERE username LIKE 'us%er'"), "0");
}

TEST_F(TasksApiTest, InvalidUtf8InAnOwnerGetsAClearAnswerOnEveryMethod) {
  // An owner is a username: an admin naming one that is not UTF-8 hears the
  // username rules, a client hears that only their own tasks are theirs. Never
  // gRPC's bare UNIMPLEMENTED (what a strict parse of the request answers).
  TaskClient client = stack_->NewUser("ownerless");
  TaskClient admin = stack_->Admin();
  const std::string owner = Field(1,
                                  "own\xff\xfe"
                                  "er");
  for (const char* method :
       {"/taskgres.v1.TaskService/ListTasks", "/taskgres.v1.TaskService/DeleteFortunes"}) {
    grpc::Status status = RawUnaryCall(stack_->task->address(), admin, method, owner);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << method << ": " << status.error_message();
    EXPECT_NE(status.error_message().find("A username must be"), std::string::npos)
        << method << ": " << status.error_message();
    status = RawUnaryCall(stack_->task->address(), client, method, owner);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << method << ": " << status.error_message();
  }
  grpc::Status status = RawRefusedStreamCall(stack_->task->address(), admin,
                                             "/taskgres.v1.TaskService/WatchTasks", owner);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_NE(status.error_message().find("A username must be"), std::string::npos)
      << status.error_message();
  status = RawRefusedStreamCall(stack_->task->address(), client,
                                "/taskgres.v1.TaskService/WatchTasks", owner);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  // A well-formed list through the lenient parser still pages on its arena.
  v1::Task task;
  ASSERT_TRUE(client.Create("still listed", &task).ok());
  grpc::Status listed = RawUnaryCall(stack_->task->address(), client,
                                     "/taskgres.v1.TaskService/ListTasks", Field(1, "ownerless"));
  EXPECT_TRUE(listed.ok()) << listed.error_message();
}

TEST_F(TasksApiTest, DescriptionsAreTrimmedAndStoredVerbatimIncludingSqlInjection) {
  TaskClient user = stack_->NewUser("verbatim");
  const std::vector<std::string> texts = {"'); DROP TABLE tasks; --",
                                          "Robert'); DELETE FROM users;--", "$1 $$ \\x00 %s {}",
                                          "multi\nline", "emoji \xf0\x9f\x98\x80 café"};
  for (const std::string& text : texts) {
    v1::Task task;
    ASSERT_TRUE(user.Create("  " + text + " \n", &task).ok()) << text;
    EXPECT_EQ(task.description(), text);
  }
  std::vector<v1::Task> tasks;
  ASSERT_TRUE(user.List("", &tasks).ok());
  ASSERT_EQ(tasks.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(tasks[i].description(), texts[i]);
  auto primary = stack_->Primary();
  EXPECT_EQ(primary->Scalar("SELECT count(*) FROM users WHERE username = 'verbatim'"), "1");
}

TEST_F(TasksApiTest, CreateThenListAlwaysShowsTheNewTask) {
  TaskClient user = stack_->NewUser("ryw");
  // A client that ignores x-taskgres-lsn: the service remembers the write itself.
  int missing = 0;
  std::set<int64_t> created;
  for (int i = 0; i < 500; ++i) {
    v1::Task task;
    ASSERT_TRUE(user.Create("task " + std::to_string(i), &task).ok());
    created.insert(task.id());
    v1::ListTasksRequest request;
    request.set_page_size(1);
    request.set_page_token("");
    v1::TaskFilter filter;
    // Newest task only: list after the previous id.
    std::vector<v1::Task> tasks;
    v1::ListTasksResponse response;
    request.set_page_size(1000);
    ASSERT_TRUE(user.stub().ListTasks(user.Context().get(), request, &response).ok());
    bool seen = false;
    for (const v1::Task& listed : response.tasks()) seen |= listed.id() == task.id();
    if (!seen && response.next_page_token().empty()) ++missing;
  }
  EXPECT_EQ(missing, 0);
  std::vector<v1::Task> all;
  ASSERT_TRUE(user.List("", &all).ok());
  EXPECT_EQ(all.size(), created.size());
}

TEST_F(TasksApiTest, LsnMetadataRoundTripsToAnotherConnection) {
  TaskClient writer = stack_->NewUser("lsn-writer");
  v1::CreateTaskRequest request;
  request.set_description("seen everywhere");
  auto context = writer.Context();
  v1::Task task;
  ASSERT_TRUE(writer.stub().CreateTask(context.get(), request, &task).ok());
  auto lsn = context->GetServerInitialMetadata().find("x-taskgres-lsn");
  ASSERT_NE(lsn, context->GetServerInitialMetadata().end());
  const std::string lsn_text(lsn->second.data(), lsn->second.size());
  EXPECT_NE(lsn_text.find('/'), std::string::npos) << lsn_text;
  // A fresh channel sending the LSN back sees the task.
  TaskClient reader(stack_->task->address(), writer.token());
  auto read_context = reader.Context();
  read_context->AddMetadata("x-taskgres-lsn", lsn_text);
  v1::ListTasksResponse response;
  ASSERT_TRUE(reader.stub().ListTasks(read_context.get(), v1::ListTasksRequest(), &response).ok());
  ASSERT_EQ(response.tasks_size(), 1);
  EXPECT_EQ(response.tasks(0).id(), task.id());
}

TEST_F(TasksApiTest, RetriedCreateWithTheSameRequestIdMakesOneTask) {
  TaskClient user = stack_->NewUser("retrier");
  std::vector<std::thread> retries;
  std::atomic<int> ok{0};
  std::mutex mutex;
  std::set<int64_t> ids;
  for (int i = 0; i < 8; ++i) {
    retries.emplace_back([&] {
      TaskClient client(stack_->task->address(), user.token());
      v1::Task task;
      grpc::Status status = client.Create("pay the rent", &task, "", "req-42");
      if (status.ok()) {
        ++ok;
        std::lock_guard lock(mutex);
        ids.insert(task.id());
      } else {
        // A retry racing the first insert may be told to retry again.
        EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << status.error_message();
      }
    });
  }
  for (auto& thread : retries) thread.join();
  v1::Task again;
  ASSERT_TRUE(user.Create("pay the rent", &again, "", "req-42").ok());
  ids.insert(again.id());
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_GE(ok.load(), 1);
  auto primary = stack_->Primary();
  EXPECT_EQ(primary->Scalar("SELECT count(*) FROM tasks WHERE owner = 'retrier'"), "1");
}

TEST_F(TasksApiTest, ConcurrentUpdatesWithTheSameVersionHaveOneWinner) {
  TaskClient user = stack_->NewUser("racer");
  v1::Task task;
  ASSERT_TRUE(user.Create("contested", &task).ok());
  std::atomic<int> won{0};
  std::atomic<int> aborted{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 10; ++i) {
    racers.emplace_back([&, i] {
      TaskClient client(stack_->task->address(), user.token());
      v1::UpdateTaskRequest request;
      request.set_id(task.id());
      request.set_description("winner " + std::to_string(i));
      request.set_expected_version(task.version());
      v1::Task updated;
      grpc::Status status = client.stub().UpdateTask(client.Context().get(), request, &updated);
      if (status.ok()) {
        ++won;
        EXPECT_EQ(updated.version(), task.version() + 1);
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << status.error_message();
        EXPECT_NE(status.error_message().find("changed by someone else"), std::string::npos);
        ++aborted;
      }
    });
  }
  for (auto& racer : racers) racer.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(aborted.load(), 9);
}

TEST_F(TasksApiTest, UpdateAndDeleteBehave) {
  TaskClient user = stack_->NewUser("editor");
  v1::Task task;
  ASSERT_TRUE(user.Create("draft", &task).ok());
  v1::UpdateTaskRequest request;
  request.set_id(task.id());
  request.set_done(true);
  v1::Task updated;
  ASSERT_TRUE(user.stub().UpdateTask(user.Context().get(), request, &updated).ok());
  EXPECT_TRUE(updated.done());
  EXPECT_EQ(updated.description(), "draft");
  EXPECT_EQ(updated.version(), 2);
  EXPECT_GE(updated.update_time().seconds(), task.create_time().seconds());
  v1::DeleteTaskRequest remove;
  remove.set_id(task.id());
  v1::DeleteTaskResponse removed;
  ASSERT_TRUE(user.stub().DeleteTask(user.Context().get(), remove, &removed).ok());
  EXPECT_EQ(user.stub().DeleteTask(user.Context().get(), remove, &removed).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(TasksApiTest, PaginationIsStableAndFiltersWork) {
  TaskClient user = stack_->NewUser("pager");
  for (int i = 0; i < 25; ++i) {
    v1::Task task;
    ASSERT_TRUE(user.Create("item " + std::to_string(i), &task).ok());
    if (i % 5 == 0) {
      v1::UpdateTaskRequest done;
      done.set_id(task.id());
      done.set_done(true);
      ASSERT_TRUE(user.stub().UpdateTask(user.Context().get(), done, &task).ok());
    }
  }
  std::vector<int64_t> ids;
  std::string token;
  int pages = 0;
  do {
    v1::ListTasksRequest request;
    request.set_page_size(10);
    request.set_page_token(token);
    v1::ListTasksResponse response;
    ASSERT_TRUE(user.stub().ListTasks(user.Context().get(), request, &response).ok());
    for (const v1::Task& task : response.tasks()) ids.push_back(task.id());
    token = response.next_page_token();
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(ids.size(), 25u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  std::vector<v1::Task> done;
  v1::TaskFilter filter;
  filter.set_done(true);
  ASSERT_TRUE(user.List("", &done, filter).ok());
  EXPECT_EQ(done.size(), 5u);
  filter.Clear();
  filter.set_source(v1::TASK_SOURCE_FORTUNE);
  ASSERT_TRUE(user.List("", &done, filter).ok());
  EXPECT_EQ(done.size(), 0u);
}

// The router runs prepared statements, so after a few calls PostgreSQL may use
// a generic plan, blind to how many tasks the owner has. With a few owners of
// many tasks it used to walk the primary key and filter by owner - reading the
// whole table to list the 100 tasks of a small owner (seen: 4 ms instead of
// 0.05 ms per page, and stack-list throughput down 8x). The plan must stay on
// the (owner, id) index.
TEST_F(TasksApiTest, ListingOneOwnersTasksKeepsToTheOwnerIndexUnderAGenericPlan) {
  TaskClient small = stack_->NewUser("plan-small");
  auto primary = stack_->Primary();
  ASSERT_TRUE(primary->ok()) << primary->error();
  std::string error;
  ASSERT_TRUE(
      primary->Query("INSERT INTO users (username, password_hash, role) "
                     "SELECT 'plan-big-' || g, 'unused', 'CLIENT' "
                     "FROM generate_series(1, 10) g",
                     {}, &error))
      << error;
  ASSERT_TRUE(
      primary->Query("INSERT INTO tasks (owner, description, source) "
                     "SELECT 'plan-big-' || (g % 10 + 1), 'filler', 'MANUAL' "
                     "FROM generate_series(1, 30000) g",
                     {}, &error))
      << error;
  for (int i = 0; i < 100; ++i) {
    v1::Task task;
    ASSERT_TRUE(small.Create("small task " + std::to_string(i), &task).ok());
  }
  ASSERT_TRUE(primary->Query("ANALYZE tasks", {}, &error)) << error;
  ASSERT_TRUE(primary->Query("SET plan_cache_mode = force_generic_plan", {}, &error)) << error;
  ASSERT_TRUE(primary->Query(
      "PREPARE list_tasks (text, bigint, boolean, text, bigint) AS " + tasks::ListTasksSql(false),
      {}, &error))
      << error;
  std::optional<Rows> plan =
      primary->Query("EXPLAIN EXECUTE list_tasks ('plan-small', 0, NULL, NULL, 101)", {}, &error);
  ASSERT_TRUE(plan.has_value()) << error;
  std::string text;
  for (const auto& row : *plan) text += row.at(0) + "\n";
  EXPECT_NE(text.find("tasks_owner_id"), std::string::npos) << text;
  EXPECT_EQ(text.find("tasks_pkey"), std::string::npos) << text;

  // And through the API: every page is the small owner's, in order.
  std::vector<v1::Task> listed;
  ASSERT_TRUE(small.List("", &listed).ok());
  ASSERT_EQ(listed.size(), 100u);
  for (const v1::Task& task : listed) EXPECT_EQ(task.owner(), "plan-small");
}

// Task times are read with float8 date_part inside 1900-2100 (fast) and numeric
// EXTRACT outside it; either way a listed time is the stored microsecond.
TEST_F(TasksApiTest, ListedTimesAreTheStoredMicrosecondForAnyDate) {
  TaskClient user = stack_->NewUser("clock-reader");
  auto primary = stack_->Primary();
  ASSERT_TRUE(primary->ok()) << primary->error();
  std::string error;
  // Edges of both ranges, then random times from the year ~1020 to ~3870:
  // without the numeric fallback about 1 in 40 of those far from today is off
  // by a microsecond.
  ASSERT_TRUE(primary->Query(
      "INSERT INTO tasks (owner, description, source, create_time, update_time) "
      "SELECT 'clock-reader', 'at ' || t, 'MANUAL', t, t - interval '1 microsecond' "
      "FROM unnest(ARRAY['1900-01-01 00:00:00+00', '1900-01-01 00:00:00.000001+00', "
      "'1899-12-31 23:59:59.999999+00', '1969-12-31 23:59:59.999999+00', '1970-01-01 00:00+00', "
      "'2038-01-19 03:14:08.000001+00', '2099-12-31 23:59:59.999999+00', "
      "'2100-01-01 00:00:00+00', '2106-02-07 06:28:16.000001+00', '1833-11-24 17:31:43.999999+00', "
      "'0001-01-01 00:00:00.000001+00', '9999-12-31 23:59:59.999999+00']::timestamptz[]) t "
      "UNION ALL "
      "SELECT 'clock-reader', 'random', 'MANUAL', "
      "to_timestamp(0) + (random() * 9e16 - 3e16)::bigint * interval '1 microsecond', "
      "to_timestamp(0) + (random() * 4e15 - 2e15)::bigint * interval '1 microsecond' "
      "FROM generate_series(1, 1500)",
      {}, &error))
      << error;
  std::optional<Rows> stored = primary->Query(
      "SELECT id, (extract(epoch FROM create_time) * 1000000)::bigint, "
      "(extract(epoch FROM update_time) * 1000000)::bigint FROM tasks "
      "WHERE owner = 'clock-reader'",
      {}, &error);
  ASSERT_TRUE(stored.has_value()) << error;
  ASSERT_EQ(stored->size(), 1512u);
  // A write through the API makes the listing wait for the rows above.
  v1::Task marker;
  ASSERT_TRUE(user.Create("marker", &marker).ok());

  std::map<int64_t, std::pair<int64_t, int64_t>> listed;
  std::vector<v1::Task> tasks;
  ASSERT_TRUE(user.List("", &tasks).ok());
  auto micros = [](const google::protobuf::Timestamp& time) {
    return time.seconds() * 1'000'000 + time.nanos() / 1000;
  };
  for (const v1::Task& task : tasks) {
    listed[task.id()] = {micros(task.create_time()), micros(task.update_time())};
  }
  ASSERT_EQ(listed.size(), 1513u);
  int wrong = 0;
  for (const auto& row : *stored) {
    const auto& [create, update] = listed[std::stoll(row.at(0))];
    if (create != std::stoll(row.at(1)) || update != std::stoll(row.at(2))) {
      if (++wrong <= 5) {
        ADD_FAILURE() << "task " << row.at(0) << " stored at " << row.at(1) << "/" << row.at(2)
                      << " us, listed at " << create << "/" << update;
      }
    }
  }
  EXPECT_EQ(wrong, 0);
}

TEST_F(TasksApiTest, RestartKeepsDataAndDoesNotRerunMigrations) {
  TaskClient user = stack_->NewUser("survivor");
  v1::Task task;
  ASSERT_TRUE(user.Create("still here after a restart", &task).ok());
  auto primary = stack_->Primary();
  const auto before =
      primary->Query("SELECT version, applied_at::text FROM schema_migrations ORDER BY version");
  ASSERT_TRUE(before.has_value());
  ASSERT_FALSE(before->empty());

  ASSERT_TRUE(stack_->RestartTaskService());
  const auto after =
      primary->Query("SELECT version, applied_at::text FROM schema_migrations ORDER BY version");
  EXPECT_EQ(after, before);
  TaskClient again = stack_->Anonymous();
  ASSERT_TRUE(again.Login("survivor", "password-survivor").ok());
  std::vector<v1::Task> tasks;
  ASSERT_TRUE(again.List("", &tasks).ok());
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].description(), "still here after a restart");
  // The token issued before the restart is still valid (same key).
  std::vector<v1::Task> with_old_token;
  TaskClient old(stack_->task->address(), user.token());
  EXPECT_TRUE(old.List("", &with_old_token).ok());
}

TEST_F(TasksApiTest, RegistrationCanBeTurnedOff) {
  ASSERT_TRUE(stack_->RestartTaskService({"--allow-registration=false"}));
  TaskClient anonymous = stack_->Anonymous();
  v1::RegisterRequest request;
  request.set_username("latecomer");
  request.set_password("long-enough");
  v1::User user;
  EXPECT_EQ(anonymous.stub().Register(anonymous.Context().get(), request, &user).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stack_->RestartTaskService());
}

}  // namespace
}  // namespace taskgres::testing
