#include "secrets/secret_file.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace taskgres {
namespace {

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << content;
  return path;
}

TEST(SecretFileTest, ReadsAndTrimsTrailingNewline) {
  auto secret = ReadSecretFile(WriteTemp("secret_ok", "s3cr3t-value\n"));
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(*secret, "s3cr3t-value");
}

TEST(SecretFileTest, MissingFileIsNotFoundAndNamesThePath) {
  auto secret = ReadSecretFile("/nonexistent/taskgres/secret");
  EXPECT_EQ(secret.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(secret.status().message().find("/nonexistent/taskgres/secret"), std::string::npos);
}

TEST(SecretFileTest, EmptyFileIsRejected) {
  auto secret = ReadSecretFile(WriteTemp("secret_empty", "\n\n"));
  EXPECT_EQ(secret.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace taskgres
