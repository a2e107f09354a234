#include "tasks/task_row.h"

#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace taskgres::tasks {
namespace {

TEST(TaskRowTest, ParsesTheTriggerPayload) {
  auto event = ParseTaskChange(
      R"({"op" : "UPDATE", "id" : 42, "owner" : "ann", "description" : "say \"hi\"\nnow", "done" : true,)"
      R"( "source" : "FORTUNE", "version" : 3, "create_us" : 1700000000000000, "update_us" : 1700000001500000})");
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->type(), v1::TaskEvent::TYPE_UPDATED);
  EXPECT_EQ(event->task().id(), 42);
  EXPECT_EQ(event->task().owner(), "ann");
  EXPECT_EQ(event->task().description(), "say \"hi\"\nnow");
  EXPECT_TRUE(event->task().done());
  EXPECT_EQ(event->task().source(), v1::TASK_SOURCE_FORTUNE);
  EXPECT_EQ(event->task().version(), 3);
  EXPECT_EQ(event->task().update_time().seconds(), 1700000001);
  EXPECT_EQ(event->task().update_time().nanos(), 500000000);
}

TEST(TaskRowTest, RejectsOtherPayloads) {
  EXPECT_FALSE(ParseTaskChange("not json").has_value());
  EXPECT_FALSE(ParseTaskChange(R"({"op": "TRUNCATE"})").has_value());
}

TEST(TaskRowTest, ReadsARow) {
  v1::Row row;
  for (const char* value :
       {"7", "bob", "milk", "f", "MANUAL", "1", "1700000000000000", "1700000000000000"}) {
    row.add_values()->set_text(value);
  }
  v1::Task task = ReadTask(row);
  EXPECT_EQ(task.id(), 7);
  EXPECT_FALSE(task.done());
  EXPECT_EQ(task.source(), v1::TASK_SOURCE_MANUAL);
  EXPECT_EQ(task.create_time().seconds(), 1700000000);
}

TEST(TaskRowTest, TimestampsMatchProtobufsOwnConversionBeforeAndAfter1970) {
  for (int64_t micros : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{-1'500'000},
                         int64_t{1'700'000'000'123'456}, int64_t{-62'135'596'800'000'000}}) {
    v1::Row row;
    for (const char* value : {"7", "bob", "milk", "t", "FORTUNE", "2"}) {
      row.add_values()->set_text(value);
    }
    row.add_values()->set_text(std::to_string(micros));
    row.add_values()->set_text(std::to_string(micros));
    const v1::Task task = ReadTask(row);
    const google::protobuf::Timestamp expected =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(micros);
    EXPECT_EQ(task.create_time().seconds(), expected.seconds()) << micros;
    EXPECT_EQ(task.create_time().nanos(), expected.nanos()) << micros;
    EXPECT_TRUE(task.done());
    EXPECT_EQ(task.version(), 2);
  }
}

}  // namespace
}  // namespace taskgres::tasks
