#include "pg/result_conversion.h"

#include <libpq-fe.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "dbclient/row_view.h"
#include "gtest/gtest.h"

namespace taskgres::router {
namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// A TUPLES_OK result built by libpq itself, as a query would return it.
ResultPtr MakeResult(const std::vector<std::vector<const char*>>& rows, int columns) {
  ResultPtr result(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK), &PQclear);
  std::vector<PGresAttDesc> attributes(static_cast<size_t>(columns));
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(columns));
  for (int c = 0; c < columns; ++c) {
    names.push_back(absl::StrCat("col", c));
    attributes[c] = PGresAttDesc{names.back().data(), 0, 0, 0, 25, -1, -1};
  }
  EXPECT_EQ(PQsetResultAttrs(result.get(), columns, attributes.data()), 1);
  for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
    for (int c = 0; c < columns; ++c) {
      const char* text = rows[r][c];
      const int length = text == nullptr ? -1 : static_cast<int>(std::strlen(text));
      EXPECT_EQ(PQsetvalue(result.get(), r, c, const_cast<char*>(text), length), 1);
    }
  }
  return result;
}

TEST(ResultConversionTest, PackedRowsDecodeToTheSameCellsAsValueRows) {
  const std::string long_text(500, 'z');
  ResultPtr result = MakeResult({{"1", nullptr, "", "héllo"},
                                 {"2", "two", long_text.c_str(), nullptr},
                                 {nullptr, nullptr, nullptr, nullptr}},
                                4);
  v1::ExecuteResponse values;
  CopyResult(result.get(), values);
  v1::ExecuteResponse packed;
  CopyPackedResult(result.get(), packed);

  EXPECT_EQ(packed.rows_size(), 0);
  ASSERT_EQ(packed.columns_size(), 4);
  EXPECT_EQ(packed.columns(3).name(), "col3");
  EXPECT_EQ(packed.columns(3).type_oid(), 25u);
  EXPECT_EQ(packed.rows_affected(), 3);
  auto unpacked = UnpackRows(packed);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  ASSERT_EQ(unpacked->size(), 3u);
  ASSERT_EQ(values.rows_size(), 3);
  for (int r = 0; r < 3; ++r) {
    const RowView from_values(values.rows(r));
    const RowView& from_packed = (*unpacked)[r];
    ASSERT_EQ(from_packed.size(), 4);
    for (int c = 0; c < 4; ++c) {
      EXPECT_EQ(from_packed.IsNull(c), from_values.IsNull(c)) << r << "," << c;
      EXPECT_EQ(from_packed.Text(c), from_values.Text(c)) << r << "," << c;
    }
  }
  EXPECT_TRUE((*unpacked)[0].IsNull(1));
  EXPECT_FALSE((*unpacked)[0].IsNull(2));
  EXPECT_EQ((*unpacked)[1].Text(2), long_text);
  EXPECT_EQ((*unpacked)[0].Text(3), "héllo");
}

TEST(ResultConversionTest, AnEmptyResultPacksToNothing) {
  ResultPtr result = MakeResult({}, 2);
  v1::ExecuteResponse packed;
  CopyPackedResult(result.get(), packed);
  EXPECT_TRUE(packed.packed_rows().empty());
  EXPECT_EQ(packed.columns_size(), 2);
  auto unpacked = UnpackRows(packed);
  ASSERT_TRUE(unpacked.ok());
  EXPECT_TRUE(unpacked->empty());
}

}  // namespace
}  // namespace taskgres::router
