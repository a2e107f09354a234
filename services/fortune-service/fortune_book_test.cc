#include "fortune_book.h"

#include <fstream>

#include "gtest/gtest.h"

namespace taskgres::fortune {
namespace {

TEST(FortuneBookTest, SplitsOnPercentLines) {
  FortuneBook book;
  book.AddText("First fortune.\n%\nSecond,\non two lines.\n%\nThird 100% true.\n%\n");
  ASSERT_EQ(book.size(), 3u);
  EXPECT_EQ(book.Pick(0), "First fortune.");
  EXPECT_EQ(book.Pick(1), "Second,\non two lines.");
  EXPECT_EQ(book.Pick(2), "Third 100% true.");
  EXPECT_EQ(book.skipped(), 0);
}

TEST(FortuneBookTest, SkipsAndCountsEntriesThatAreNotValidTasks) {
  FortuneBook book;
  book.AddText("ok\n%\n\n%\n" + std::string(1001, 'x') + "\n%\nbad\ttab\n%\nlast without percent");
  EXPECT_EQ(book.size(), 2u);
  EXPECT_EQ(book.skipped(), 3);
}

TEST(FortuneBookTest, MissingOrEmptyFilesAreErrors) {
  EXPECT_EQ(FortuneBook::Load({"/nonexistent/fortunes.txt"}).status().code(),
            absl::StatusCode::kNotFound);
  const std::string empty = ::testing::TempDir() + "empty-fortunes.txt";
  std::ofstream(empty) << "%\n%\n";
  EXPECT_EQ(FortuneBook::Load({empty}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FortuneBook::Load({}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FortuneBookTest, LoadsSeveralFiles) {
  const std::string a = ::testing::TempDir() + "fortunes-a.txt";
  const std::string b = ::testing::TempDir() + "fortunes-b.txt";
  std::ofstream(a) << "one\n%\ntwo\n%\n";
  std::ofstream(b) << "three\n%\n";
  auto book = FortuneBook::Load({a, b});
  ASSERT_TRUE(book.ok()) << book.status();
  EXPECT_EQ(book->size(), 3u);
}

TEST(FortuneBookTest, ShippedFileHasAtLeastAHundredUsableFortunes) {
  auto book = FortuneBook::Load({std::string(TASKGRES_FORTUNE_DATA) + "/fortunes.txt"});
  ASSERT_TRUE(book.ok()) << book.status();
  EXPECT_GE(book->size(), 100u);
  EXPECT_EQ(book->skipped(), 0);
}

}  // namespace
}  // namespace taskgres::fortune
