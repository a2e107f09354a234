#include "validation/text_rules.h"

#include <string>

#include "gtest/gtest.h"

namespace taskgres {
namespace {

void ExpectInvalid(const absl::StatusOr<std::string>& result, absl::string_view message_part) {
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find(message_part), absl::string_view::npos)
      << result.status();
}

TEST(ValidationTest, DescriptionIsTrimmed) {
  EXPECT_EQ(*ValidateDescription("  buy milk \n\t"), "buy milk");
  EXPECT_EQ(*ValidateDescription("line one\nline two"), "line one\nline two");
}

TEST(ValidationTest, EmptyDescriptionSaysSoLikeThePrototype) {
  ExpectInvalid(ValidateDescription(""), "Can't add an empty task");
  ExpectInvalid(ValidateDescription(" \n\t "), "Can't add an empty task");
}

TEST(ValidationTest, DescriptionLengthCountsCharactersNotBytes) {
  EXPECT_TRUE(ValidateDescription(std::string(1000, 'a')).ok());
  ExpectInvalid(ValidateDescription(std::string(1001, 'a')), "at most 1000 characters");
  std::string accents;
  for (int i = 0; i < 1000; ++i) accents += "é";  // 2 bytes each
  EXPECT_TRUE(ValidateDescription(accents).ok());
}

TEST(ValidationTest, RejectsInvalidUtf8) {
  for (const char* bad : {"\xff", "abc\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    ExpectInvalid(ValidateDescription(bad), "not valid UTF-8");
  }
  EXPECT_TRUE(ValidateDescription("emoji \xf0\x9f\x98\x80 ok").ok());
}

TEST(ValidationTest, RejectsControlCharactersButNewline) {
  ExpectInvalid(ValidateDescription("tab\there"), "U+0009");
  ExpectInvalid(ValidateDescription(std::string("nul\0x", 5)), "U+0000");
  ExpectInvalid(ValidateDescription("bell\x07"), "U+0007");
  ExpectInvalid(ValidateDescription("c1 \xc2\x85"), "U+0085");
}

TEST(ValidationTest, KeepsSqlLookingTextVerbatim) {
  EXPECT_EQ(*ValidateDescription("'); DROP TABLE tasks; --"), "'); DROP TABLE tasks; --");
}

TEST(ValidationTest, Usernames) {
  EXPECT_TRUE(ValidateUsername("bob").ok());
  EXPECT_TRUE(ValidateUsername("a.b-c_1").ok());
  EXPECT_TRUE(ValidateUsername(std::string(32, 'x')).ok());
  for (const char* bad :
       {"", "ab", "Bob", "with space", "semi;colon", "é", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    EXPECT_EQ(ValidateUsername(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ValidationTest, Passwords) {
  EXPECT_TRUE(ValidatePassword("12345678").ok());
  EXPECT_TRUE(ValidatePassword(std::string(128, 'p')).ok());
  EXPECT_EQ(ValidatePassword("1234567").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidatePassword(std::string(129, 'p')).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace taskgres
