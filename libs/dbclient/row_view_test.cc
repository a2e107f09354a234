#include "dbclient/row_view.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace taskgres {
namespace {

v1::ExecuteResponse WithColumns(int count, std::string packed) {
  v1::ExecuteResponse response;
  for (int c = 0; c < count; ++c) response.add_columns()->set_name(absl::StrCat("c", c));
  response.set_packed_rows(std::move(packed));
  return response;
}

TEST(RowViewTest, ViewsARowMessage) {
  v1::Row row;
  row.add_values()->set_text("42");
  row.add_values()->set_null_value({});
  row.add_values()->set_text("");
  row.add_values()->set_text("t");
  RowView view(row);
  ASSERT_EQ(view.size(), 4);
  EXPECT_EQ(view.Int(0), 42);
  EXPECT_TRUE(view.IsNull(1));
  EXPECT_FALSE(view.IsNull(2));
  EXPECT_EQ(view.Text(2), "");
  EXPECT_TRUE(view.Bool(3));
  EXPECT_TRUE(view.IsNull(4));  // past the end
  EXPECT_EQ(view.Int(1), 0);
}

TEST(RowViewTest, UnpacksNullsEmptyTextAndLongText) {
  const std::string long_text(300, 'x');  // a two-byte varint (301)
  std::string packed;
  packed.append("\x03id", 3);  // "id": length 2 + 1
  packed.append("\0", 1);      // NULL
  packed.append("\x01", 1);    // ""
  packed.append("\xad\x02", 2);
  packed.append(long_text);
  packed.push_back('\x02');  // "f"
  packed.push_back('f');
  packed.append("\0", 1);
  const v1::ExecuteResponse response = WithColumns(3, packed);  // the views point into it
  auto rows = UnpackRows(response);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].Text(0), "id");
  EXPECT_TRUE((*rows)[0].IsNull(1));
  EXPECT_FALSE((*rows)[0].IsNull(2));
  EXPECT_EQ((*rows)[0].Text(2), "");
  EXPECT_EQ((*rows)[1].Text(0), long_text);
  EXPECT_EQ((*rows)[1].Text(1), "f");
  EXPECT_TRUE((*rows)[1].IsNull(2));
}

TEST(RowViewTest, NoBytesIsNoRows) {
  auto rows = UnpackRows(WithColumns(2, ""));
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
}

TEST(RowViewTest, TruncatedOrOverlongBytesAreAnError) {
  // A row cut after its first cell.
  EXPECT_EQ(UnpackRows(WithColumns(2, std::string("\x02"
                                                  "a",
                                                  2)))
                .status()
                .code(),
            absl::StatusCode::kInternal);
  // A length running past the end.
  EXPECT_EQ(UnpackRows(WithColumns(1, std::string("\x10"
                                                  "abc",
                                                  4)))
                .status()
                .code(),
            absl::StatusCode::kInternal);
  // A varint that never ends.
  EXPECT_EQ(UnpackRows(WithColumns(1, std::string("\xff\xff", 2))).status().code(),
            absl::StatusCode::kInternal);
  // Bytes but no columns.
  EXPECT_EQ(UnpackRows(WithColumns(0, std::string("\0", 1))).status().code(),
            absl::StatusCode::kInternal);
}

TEST(RowViewTest, IntegersAreWholeCellsWithinRange) {
  v1::Row row;
  row.add_values()->set_text("12x");
  EXPECT_EQ(RowView(row).Int(0), 0);
  row.mutable_values(0)->set_text("-9223372036854775808");
  EXPECT_EQ(RowView(row).Int(0), std::numeric_limits<int64_t>::min());
  row.mutable_values(0)->set_text("9223372036854775808");  // one past the largest
  EXPECT_EQ(RowView(row).Int(0), 0);
}

}  // namespace
}  // namespace taskgres
