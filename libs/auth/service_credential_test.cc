#include "auth/service_credential.h"

#include "gtest/gtest.h"

namespace taskgres {
namespace {

TEST(ServiceCredentialTest, RejectsShortTokens) {
  EXPECT_EQ(ServiceCredential::FromToken("short").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ServiceCredential::FromToken("0123456789abcdef").ok());
}

TEST(ServiceCredentialTest, MissingSecretFileIsAnError) {
  EXPECT_FALSE(ServiceCredential::FromFile("/nonexistent/service-token").ok());
}

}  // namespace
}  // namespace taskgres
