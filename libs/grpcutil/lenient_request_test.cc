#include "grpcutil/lenient_request.h"

#include "gtest/gtest.h"
#include "taskgres/v1/task_service.pb.h"

namespace taskgres {
namespace {

TEST(LenientRequestTest, ParsesWellFormedRequestsAsUsual) {
  v1::UpdateTaskRequest sent;
  sent.set_id(42);
  sent.set_description("café");
  sent.set_done(true);
  v1::UpdateTaskRequest parsed;
  ASSERT_TRUE(ParseKeepingInvalidText(sent.SerializeAsString(), parsed));
  EXPECT_EQ(parsed.id(), 42);
  EXPECT_EQ(parsed.description(), "café");
  EXPECT_TRUE(parsed.done());
}

TEST(LenientRequestTest, KeepsInvalidUtf8TextAndTheOtherFields) {
  std::string bytes;
  bytes += '\x08';  // field 1 (id), varint 7
  bytes += '\x07';
  bytes += '\x12';  // field 2 (description), 3 bytes of invalid UTF-8
  bytes += '\x03';
  bytes +=
      "a\xff"
      "b";
  bytes += '\x18';  // field 3 (done), varint 1
  bytes += '\x01';
  v1::UpdateTaskRequest strict;
  ASSERT_FALSE(strict.ParseFromString(bytes)) << "protobuf now accepts invalid UTF-8";
  v1::UpdateTaskRequest parsed;
  ASSERT_TRUE(ParseKeepingInvalidText(bytes, parsed));
  EXPECT_EQ(parsed.id(), 7);
  EXPECT_TRUE(parsed.has_description());
  EXPECT_EQ(parsed.description(),
            "a\xff"
            "b");
  EXPECT_TRUE(parsed.done());
}

TEST(LenientRequestTest, RefusesBytesThatAreNoMessage) {
  v1::CreateTaskRequest parsed;
  EXPECT_FALSE(
      ParseKeepingInvalidText("\x0a\x05"
                              "ab",
                              parsed));                           // truncated field
  EXPECT_FALSE(ParseKeepingInvalidText("\x0a\x02\xff", parsed));  // truncated and invalid
  EXPECT_FALSE(ParseKeepingInvalidText("\x0f\x01", parsed));      // wire type 7 does not exist
}

}  // namespace
}  // namespace taskgres
