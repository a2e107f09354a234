#include "auth/login_throttle.h"

#include "gtest/gtest.h"

namespace taskgres::auth {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000);

TEST(LoginThrottleTest, LocksAfterTooManyFailuresAndReopensAfterTheWindow) {
  LoginThrottle throttle(3, absl::Minutes(5));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(throttle.Admit("eve", kStart + absl::Seconds(i)).ok());
  absl::Status locked = throttle.Admit("eve", kStart + absl::Seconds(10));
  EXPECT_EQ(locked.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(locked.message().find("try again in 290 s"), absl::string_view::npos) << locked;
  EXPECT_TRUE(throttle.Admit("someone-else", kStart).ok());
  EXPECT_TRUE(throttle.Admit("eve", kStart + absl::Minutes(5)).ok());
}

TEST(LoginThrottleTest, AttemptsInFlightCountAgainstTheLimit) {
  // Guesses sent at once are all admitted before any hash check finishes:
  // only max_failures of them may get through.
  LoginThrottle throttle(10, absl::Minutes(5));
  int admitted = 0;
  for (int i = 0; i < 200; ++i) admitted += throttle.Admit("admin", kStart).ok() ? 1 : 0;
  EXPECT_EQ(admitted, 10);
}

TEST(LoginThrottleTest, SuccessClearsTheCount) {
  LoginThrottle throttle(2, absl::Minutes(5));
  EXPECT_TRUE(throttle.Admit("bob", kStart).ok());
  EXPECT_TRUE(throttle.Admit("bob", kStart).ok());
  throttle.RecordSuccess("bob");
  EXPECT_TRUE(throttle.Admit("bob", kStart).ok());
}

TEST(LoginThrottleTest, MemoryStaysBoundedAndFloodingDoesNotUnlock) {
  LoginThrottle throttle(2, absl::Minutes(5), 10);
  EXPECT_TRUE(throttle.Admit("victim", kStart).ok());
  EXPECT_TRUE(throttle.Admit("victim", kStart).ok());  // now locked
  for (int i = 0; i < 100; ++i) (void)throttle.Admit("user" + std::to_string(i), kStart);
  EXPECT_FALSE(throttle.Admit("victim", kStart).ok()) << "the flood reset a lock";
  // Later windows free the room again.
  EXPECT_TRUE(throttle.Admit("victim", kStart + absl::Minutes(6)).ok());
}

}  // namespace
}  // namespace taskgres::auth
