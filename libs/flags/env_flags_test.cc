#include "flags/env_flags.h"

#include <map>
#include <string>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, env_flags_test_port, 1, "test flag");
ABSL_FLAG(std::string, env_flags_test_name, "x", "test flag");

namespace taskgres {
namespace {

TEST(EnvFlagsTest, DerivesVariableName) {
  EXPECT_EQ(EnvNameForFlag("db-hosts"), "TASKGRES_DB_HOSTS");
  EXPECT_EQ(EnvNameForFlag("service_token_file"), "TASKGRES_SERVICE_TOKEN_FILE");
}

TEST(EnvFlagsTest, SetsFlagsFromVariables) {
  std::map<std::string, std::string> env = {{"TASKGRES_ENV_FLAGS_TEST_PORT", "8080"},
                                            {"TASKGRES_ENV_FLAGS_TEST_NAME", "router"}};
  auto lookup = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  ASSERT_TRUE(ApplyFlagsFromEnvironment(lookup).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_env_flags_test_port), 8080);
  EXPECT_EQ(absl::GetFlag(FLAGS_env_flags_test_name), "router");
}

TEST(EnvFlagsTest, RejectsUnparsableValueNamingTheVariable) {
  auto lookup = [](const char* name) -> const char* {
    return std::string(name) == "TASKGRES_ENV_FLAGS_TEST_PORT" ? "eighty" : nullptr;
  };
  absl::Status status = ApplyFlagsFromEnvironment(lookup);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("TASKGRES_ENV_FLAGS_TEST_PORT"), std::string::npos);
}

}  // namespace
}  // namespace taskgres
