#include "pg/sqlstate_status.h"

#include "gtest/gtest.h"

namespace taskgres::router {
namespace {

using grpc::StatusCode;

TEST(SqlStateStatusTest, FollowsTheContract) {
  EXPECT_EQ(StatusCodeForSqlState("23505"), StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(StatusCodeForSqlState("23502"), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(StatusCodeForSqlState("23503"), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(StatusCodeForSqlState("22P02"), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(StatusCodeForSqlState("42601"), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(StatusCodeForSqlState("42501"), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(StatusCodeForSqlState("25006"), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(StatusCodeForSqlState("40001"), StatusCode::ABORTED);
  EXPECT_EQ(StatusCodeForSqlState("40P01"), StatusCode::ABORTED);
  EXPECT_EQ(StatusCodeForSqlState("57014"), StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(StatusCodeForSqlState("08006"), StatusCode::UNAVAILABLE);
  EXPECT_EQ(StatusCodeForSqlState("57P01"), StatusCode::UNAVAILABLE);
  EXPECT_EQ(StatusCodeForSqlState("53300"), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(StatusCodeForSqlState("XX000"), StatusCode::INTERNAL);
  EXPECT_EQ(StatusCodeForSqlState(""), StatusCode::UNKNOWN);
}

TEST(SqlStateStatusTest, OnlyTransientErrorsAreRetryable) {
  EXPECT_TRUE(IsRetryableReadError("40001"));
  EXPECT_TRUE(IsRetryableReadError("57P01"));
  EXPECT_TRUE(IsRetryableReadError("08006"));
  EXPECT_FALSE(IsRetryableReadError("42601"));
  EXPECT_FALSE(IsRetryableReadError("57014"));
  EXPECT_FALSE(IsRetryableReadError("23505"));
}

}  // namespace
}  // namespace taskgres::router
