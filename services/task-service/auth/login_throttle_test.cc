#include "auth/login_throttle.h"

#include "gtest/gtest.h"

namespace taskgres::auth {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000);

TEST(LoginThrottleTest, LocksAfterTooManyFailuresAndReopensAfterTheWindow) {
  LoginThrottle throttle(3, absl::Minutes(5));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(throttle.Check("eve", kStart).ok());
    throttle.RecordFailure("eve", kStart + absl::Seconds(i));
  }
  absl::Status locked = throttle.Check("eve", kStart + absl::Seconds(10));
  EXPECT_EQ(locked.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(locked.message().find("try again in 290 s"), absl::string_view::npos) << locked;
  EXPECT_TRUE(throttle.Check("someone-else", kStart).ok());
  EXPECT_TRUE(throttle.Check("eve", kStart + absl::Minutes(5)).ok());
}

TEST(LoginThrottleTest, SuccessClearsTheCount) {
  LoginThrottle throttle(2, absl::Minutes(5));
  throttle.RecordFailure("bob", kStart);
  throttle.RecordSuccess("bob");
  throttle.RecordFailure("bob", kStart);
  EXPECT_TRUE(throttle.Check("bob", kStart).ok());
}

TEST(LoginThrottleTest, MemoryStaysBounded) {
  LoginThrottle throttle(1, absl::Minutes(5), 10);
  for (int i = 0; i < 100; ++i) throttle.RecordFailure("user" + std::to_string(i), kStart);
  // Old entries were dropped to make room; the newest is still tracked.
  EXPECT_FALSE(throttle.Check("user99", kStart).ok());
  EXPECT_TRUE(throttle.Check("user0", kStart).ok());
}

}  // namespace
}  // namespace taskgres::auth
