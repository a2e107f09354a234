#include "logging/json_log.h"

#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace taskgres::log {
namespace {

TEST(JsonLogTest, FormatsOneObjectPerLineWithFields) {
  const std::vector<Field> fields = {{"node", "127.0.0.1:5432"}, {"count", 3}, {"ok", true}};
  const std::string line =
      FormatLine(absl::FromUnixSeconds(0), Level::kWarning, "db-router", "replica down", fields);
  EXPECT_EQ(line,
            "{\"time\":\"1970-01-01T00:00:00.000000Z\",\"level\":\"warning\","
            "\"service\":\"db-router\",\"message\":\"replica down\","
            "\"node\":\"127.0.0.1:5432\",\"count\":3,\"ok\":true}\n");
}

TEST(JsonLogTest, EscapesQuotesBackslashesAndControlCharacters) {
  std::string out;
  AppendJsonString("a\"b\\c\nd\x01", out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\u0001\"");
}

TEST(JsonLogTest, RendersNonFiniteNumbersAsNull) {
  EXPECT_EQ(Field("x", std::numeric_limits<double>::infinity()).json(), "null");
  EXPECT_EQ(Field("x", 0.25).json(), "0.25");
}

}  // namespace
}  // namespace taskgres::log
