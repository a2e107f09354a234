#include "tasks/task_row.h"

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

}  // namespace
}  // namespace taskgres::tasks
