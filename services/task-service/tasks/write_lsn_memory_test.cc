#include "tasks/write_lsn_memory.h"

#include "gtest/gtest.h"

namespace taskgres::tasks {
namespace {

TEST(WriteLsnMemoryTest, KeepsTheHighestLsnPerUser) {
  WriteLsnMemory memory;
  EXPECT_EQ(memory.Get("ann"), 0u);
  memory.Remember("ann", 100);
  memory.Remember("ann", 50);  // an older write finishing late
  memory.Remember("ben", 70);
  EXPECT_EQ(memory.Get("ann"), 100u);
  EXPECT_EQ(memory.Get("ben"), 70u);
}

TEST(WriteLsnMemoryTest, StaysBounded) {
  WriteLsnMemory memory(32);
  for (int i = 0; i < 10'000; ++i) memory.Remember("user" + std::to_string(i), i + 1);
  int remembered = 0;
  for (int i = 0; i < 10'000; ++i) remembered += memory.Get("user" + std::to_string(i)) != 0;
  EXPECT_LE(remembered, 64);
  EXPECT_EQ(memory.Get("user9999"), 10'000u);
}

}  // namespace
}  // namespace taskgres::tasks
