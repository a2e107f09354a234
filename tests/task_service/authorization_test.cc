// Authorization over real gRPC: every RPC refuses a client acting on someone
// else's tasks, allows an admin, and refuses missing or bad tokens.
#include <functional>

#include "absl/time/clock.h"
#include "auth/token_signer.h"
#include "gtest/gtest.h"
#include "stack/full_stack.h"

namespace taskgres::testing {
namespace {

using Call = std::function<grpc::Status(TaskClient&)>;

class AuthorizationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = FullStack::Start().release();
    ASSERT_NE(stack_, nullptr);
    alice_ = new TaskClient(stack_->NewUser("alice"));
    bob_ = new TaskClient(stack_->NewUser("bob"));
    admin_ = new TaskClient(stack_->Admin());
  }
  static void TearDownTestSuite() {
    delete alice_;
    delete bob_;
    delete admin_;
    delete stack_;
  }
  void SetUp() override { ASSERT_NE(stack_, nullptr); }

  static int64_t AliceTask() {
    v1::Task task;
    EXPECT_TRUE(alice_->Create("alice's task", &task).ok());
    return task.id();
  }

  static FullStack* stack_;
  static TaskClient* alice_;
  static TaskClient* bob_;
  static TaskClient* admin_;
};

FullStack* AuthorizationTest::stack_ = nullptr;
TaskClient* AuthorizationTest::alice_ = nullptr;
TaskClient* AuthorizationTest::bob_ = nullptr;
TaskClient* AuthorizationTest::admin_ = nullptr;

grpc::Status ListOf(TaskClient& client, const std::string& owner) {
  v1::ListTasksRequest request;
  request.set_owner(owner);
  v1::ListTasksResponse response;
  return client.stub().ListTasks(client.Context().get(), request, &response);
}

grpc::Status CreateFor(TaskClient& client, const std::string& owner) {
  v1::Task task;
  return client.Create("made for " + owner, &task, owner);
}

grpc::Status Update(TaskClient& client, int64_t id) {
  v1::UpdateTaskRequest request;
  request.set_id(id);
  request.set_done(true);
  v1::Task task;
  return client.stub().UpdateTask(client.Context().get(), request, &task);
}

grpc::Status Delete(TaskClient& client, int64_t id) {
  v1::DeleteTaskRequest request;
  request.set_id(id);
  v1::DeleteTaskResponse response;
  return client.stub().DeleteTask(client.Context().get(), request, &response);
}

grpc::Status DeleteFortunesOf(TaskClient& client, const std::string& owner) {
  v1::DeleteFortunesRequest request;
  request.set_owner(owner);
  v1::DeleteFortunesResponse response;
  return client.stub().DeleteFortunes(client.Context().get(), request, &response);
}

// Opens a watch and returns its status once the server accepted (initial
// metadata) or refused it.
grpc::Status WatchOf(TaskClient& client, const std::string& owner) {
  auto context = client.Context(std::chrono::seconds(5));
  v1::WatchTasksRequest request;
  request.set_owner(owner);
  auto reader = client.stub().WatchTasks(context.get(), request);
  reader->WaitForInitialMetadata();
  if (context->GetServerInitialMetadata().count("x-taskgres-watch") == 0) {
    // Refused streams end without initial metadata of their own.
    v1::TaskEvent event;
    while (reader->Read(&event)) {
    }
    return reader->Finish();
  }
  context->TryCancel();
  v1::TaskEvent event;
  while (reader->Read(&event)) {
  }
  reader->Finish();
  return grpc::Status::OK;
}

grpc::Status ListUsers(TaskClient& client) {
  v1::ListUsersResponse response;
  return client.stub().ListUsers(client.Context().get(), v1::ListUsersRequest(), &response);
}

grpc::Status CreateUser(TaskClient& client, const std::string& name) {
  v1::CreateUserRequest request;
  request.set_username(name);
  request.set_password("a-good-password");
  request.set_role(v1::ROLE_CLIENT);
  v1::User user;
  return client.stub().CreateUser(client.Context().get(), request, &user);
}

grpc::Status SetRole(TaskClient& client, const std::string& name, v1::Role role) {
  v1::SetUserRoleRequest request;
  request.set_username(name);
  request.set_role(role);
  v1::User user;
  return client.stub().SetUserRole(client.Context().get(), request, &user);
}

TEST_F(AuthorizationTest, ClientsAreConfinedToTheirOwnTasks) {
  const int64_t alice_task = AliceTask();
  EXPECT_EQ(ListOf(*bob_, "alice").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ListOf(*bob_, "*").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateFor(*bob_, "alice").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Another user's id looks exactly like a missing one.
  const grpc::Status update = Update(*bob_, alice_task);
  EXPECT_EQ(update.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Update(*bob_, 999'999'999).error_message(), "there is no task 999999999");
  EXPECT_EQ(update.error_message(), "there is no task " + std::to_string(alice_task));
  EXPECT_EQ(Delete(*bob_, alice_task).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DeleteFortunesOf(*bob_, "alice").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(WatchOf(*bob_, "alice").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(WatchOf(*bob_, "*").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ListUsers(*bob_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateUser(*bob_, "bobs-friend").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(SetRole(*bob_, "bob", v1::ROLE_ADMIN).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Alice's task is untouched.
  std::vector<v1::Task> tasks;
  ASSERT_TRUE(alice_->List("", &tasks).ok());
  bool found = false;
  for (const v1::Task& task : tasks) {
    if (task.id() == alice_task) {
      found = true;
      EXPECT_FALSE(task.done());
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(AuthorizationTest, ClientsMayDoEverythingToTheirOwn) {
  const int64_t mine = AliceTask();
  EXPECT_TRUE(ListOf(*alice_, "").ok());
  EXPECT_TRUE(ListOf(*alice_, "alice").ok());
  EXPECT_TRUE(CreateFor(*alice_, "alice").ok());
  EXPECT_TRUE(Update(*alice_, mine).ok());
  EXPECT_TRUE(DeleteFortunesOf(*alice_, "").ok());
  EXPECT_TRUE(WatchOf(*alice_, "").ok());
  EXPECT_TRUE(Delete(*alice_, mine).ok());
}

TEST_F(AuthorizationTest, AdminsMayActOnAnyone) {
  const int64_t alice_task = AliceTask();
  EXPECT_TRUE(ListOf(*admin_, "alice").ok());
  EXPECT_TRUE(ListOf(*admin_, "*").ok());
  EXPECT_TRUE(CreateFor(*admin_, "alice").ok());
  EXPECT_EQ(CreateFor(*admin_, "nobody-here").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Update(*admin_, alice_task).ok());
  EXPECT_TRUE(DeleteFortunesOf(*admin_, "alice").ok());
  EXPECT_TRUE(WatchOf(*admin_, "alice").ok());
  EXPECT_TRUE(WatchOf(*admin_, "*").ok());
  EXPECT_TRUE(ListUsers(*admin_).ok());
  EXPECT_TRUE(CreateUser(*admin_, "carol").ok());
  EXPECT_EQ(CreateUser(*admin_, "carol").error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_TRUE(SetRole(*admin_, "carol", v1::ROLE_ADMIN).ok());
  EXPECT_TRUE(SetRole(*admin_, "carol", v1::ROLE_CLIENT).ok());
  EXPECT_EQ(SetRole(*admin_, "nobody-here", v1::ROLE_CLIENT).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Delete(*admin_, alice_task).ok());
}

TEST_F(AuthorizationTest, TheLastAdminCannotBeDemoted) {
  const grpc::Status status = SetRole(*admin_, "admin", v1::ROLE_CLIENT);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_TRUE(ListUsers(*admin_).ok());
}

// Reads a WatchTasks stream to its end; the final status and how long it ran.
std::pair<grpc::Status, double> WatchUntilEnd(TaskClient& client, const std::string& owner,
                                              const std::function<void()>& once_active) {
  auto context = client.Context(std::chrono::seconds(60));
  v1::WatchTasksRequest request;
  request.set_owner(owner);
  auto reader = client.stub().WatchTasks(context.get(), request);
  reader->WaitForInitialMetadata();
  const auto start = std::chrono::steady_clock::now();
  once_active();
  v1::TaskEvent event;
  while (reader->Read(&event)) {
  }
  grpc::Status status = reader->Finish();
  return {status, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

TEST_F(AuthorizationTest, AWatchEndsWhenItsTokenExpires) {
  auto signer = auth::TokenSigner::FromSecrets({stack_->token_key});
  ASSERT_TRUE(signer.ok());
  const absl::Time now = absl::Now();
  TaskClient short_lived = stack_->Anonymous();
  short_lived.set_token(signer->Sign({"alice", v1::ROLE_CLIENT, now, now + absl::Seconds(2)}));
  auto [status, seconds] = WatchUntilEnd(short_lived, "", [] {});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_NE(status.error_message().find("log in"), std::string::npos) << status.error_message();
  EXPECT_LT(seconds, 20.0);
}

TEST_F(AuthorizationTest, AWatchOfEveryoneEndsWhenTheAdminIsDemoted) {
  v1::CreateUserRequest create;
  create.set_username("dora");
  create.set_password("a-good-password");
  create.set_role(v1::ROLE_ADMIN);
  v1::User user;
  const grpc::Status created = admin_->stub().CreateUser(admin_->Context().get(), create, &user);
  ASSERT_TRUE(created.ok()) << created.error_message();
  TaskClient dora = stack_->Anonymous();
  ASSERT_TRUE(dora.Login("dora", "a-good-password").ok());
  auto [status, seconds] = WatchUntilEnd(
      dora, "*", [&] { EXPECT_TRUE(SetRole(*admin_, "dora", v1::ROLE_CLIENT).ok()); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_LT(seconds, 20.0);
  // Her own tasks she may still watch, as a client.
  EXPECT_EQ(ListOf(dora, "").error_code(), grpc::StatusCode::OK);
}

TEST_F(AuthorizationTest, MissingExpiredAndTamperedTokensAreUnauthenticated) {
  auto signer = auth::TokenSigner::FromSecrets({stack_->token_key});
  ASSERT_TRUE(signer.ok());
  const absl::Time now = absl::Now();
  const std::string expired =
      signer->Sign({"alice", v1::ROLE_CLIENT, now - absl::Hours(2), now - absl::Hours(1)});
  std::string tampered = alice_->token();
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  const std::string forged_admin = auth::TokenSigner::FromSecrets({std::string(48, 'z')})
                                       ->Sign({"alice", v1::ROLE_ADMIN, now, now + absl::Hours(1)});
  const std::vector<std::pair<std::string, std::string>> bad = {{"missing", ""},
                                                                {"expired", expired},
                                                                {"tampered", tampered},
                                                                {"wrong key", forged_admin},
                                                                {"junk", "junk"}};
  const std::vector<std::pair<std::string, Call>> calls = {
      {"ListTasks", [](TaskClient& c) { return ListOf(c, ""); }},
      {"CreateTask", [](TaskClient& c) { return CreateFor(c, ""); }},
      {"UpdateTask", [](TaskClient& c) { return Update(c, 1); }},
      {"DeleteTask", [](TaskClient& c) { return Delete(c, 1); }},
      {"DeleteFortunes", [](TaskClient& c) { return DeleteFortunesOf(c, ""); }},
      {"WatchTasks", [](TaskClient& c) { return WatchOf(c, ""); }},
      {"GenerateFortunes",
       [](TaskClient& c) {
         auto context = c.Context(std::chrono::seconds(5));
         auto reader = c.stub().GenerateFortunes(context.get(), v1::GenerateFortunesRequest());
         v1::Task task;
         while (reader->Read(&task)) {
         }
         return reader->Finish();
       }},
      {"ListUsers", [](TaskClient& c) { return ListUsers(c); }},
      {"CreateUser", [](TaskClient& c) { return CreateUser(c, "mallory"); }},
      {"SetUserRole", [](TaskClient& c) { return SetRole(c, "alice", v1::ROLE_ADMIN); }},
  };
  for (const auto& [what, token] : bad) {
    TaskClient client(stack_->task->address(), token);
    for (const auto& [name, call] : calls) {
      EXPECT_EQ(call(client).error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << name << " with a " << what << " token";
    }
  }
}

TEST_F(AuthorizationTest, WrongPasswordAndUnknownUserGetTheSameAnswer) {
  TaskClient client = stack_->Anonymous();
  const grpc::Status wrong = client.Login("alice", "not-her-password");
  const grpc::Status unknown = client.Login("nobody-at-all", "not-her-password");
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(wrong.error_message(), unknown.error_message());
}

TEST_F(AuthorizationTest, RepeatedFailuresLockTheAccountForAWhile) {
  TaskClient target = stack_->NewUser("dave");
  TaskClient attacker = stack_->Anonymous();
  grpc::Status status;
  for (int i = 0; i < 10; ++i) status = attacker.Login("dave", "guess-number-" + std::to_string(i));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  status = attacker.Login("dave", "password-dave");  // right, but locked now
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find("try again in"), std::string::npos);
}

}  // namespace
}  // namespace taskgres::testing
