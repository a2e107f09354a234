#include "tasks/page_token.h"

#include "gtest/gtest.h"

namespace taskgres::tasks {
namespace {

TEST(PageTokenTest, RoundTrips) {
  const std::string token = EncodePageToken(1234, "alice|done=any|source=any");
  auto last = DecodePageToken(token, "alice|done=any|source=any");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, 1234);
}

TEST(PageTokenTest, RejectsTokensOfAnotherQuery) {
  const std::string token = EncodePageToken(10, "alice|done=any|source=any");
  EXPECT_EQ(DecodePageToken(token, "bob|done=any|source=any").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PageTokenTest, RejectsGarbage) {
  for (const char* junk : {"", "!!!", "cDF8YWJjfGs=", "eHh4"}) {
    EXPECT_EQ(DecodePageToken(junk, "k").status().code(), absl::StatusCode::kInvalidArgument)
        << junk;
  }
}

}  // namespace
}  // namespace taskgres::tasks
