#include "dbclient/row_view.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"

namespace taskgres {

RowView::RowView(const v1::Row& row) {
  cells_.reserve(row.values_size());
  for (const v1::Value& value : row.values()) {
    const bool null = value.kind_case() != v1::Value::kText;
    cells_.push_back(Cell{null ? absl::string_view() : absl::string_view(value.text()), null});
  }
}

const RowView::Cell& RowView::At(int column) const {
  static const Cell kNull;
  return column >= 0 && column < size() ? cells_[column] : kNull;
}

int64_t IntFromCell(absl::string_view text) {
  // std::from_chars: a page of tasks parses four integers a row, and it is
  // several times cheaper than the more lenient absl::SimpleAtoi.
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return 0;
  return value;
}

absl::StatusOr<std::vector<RowView>> UnpackRows(const v1::ExecuteResponse& response) {
  const int columns = response.columns_size();
  const std::string& bytes = response.packed_rows();
  std::vector<RowView> rows;
  if (bytes.empty()) return rows;
  if (columns == 0) return absl::InternalError("packed rows without columns");
  // The router counts the rows of a SELECT; every cell takes a byte at least.
  rows.reserve(std::min(static_cast<size_t>(std::max<int64_t>(response.rows_affected(), 0)),
                        bytes.size() / static_cast<size_t>(columns)));
  // The varints are protobuf's (the router writes them with CodedOutputStream).
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(bytes.data()),
                                               static_cast<int>(bytes.size()));
  while (static_cast<size_t>(input.CurrentPosition()) < bytes.size()) {
    RowView& row = rows.emplace_back();
    for (int c = 0; c < columns; ++c) {
      uint32_t tag = 0;
      if (!input.ReadVarint32(&tag)) {
        return absl::InternalError(absl::StrCat("packed rows end inside row ", rows.size()));
      }
      if (tag == 0) {
        row.Add(RowView::Cell{});
        continue;
      }
      const size_t at = static_cast<size_t>(input.CurrentPosition());
      const size_t length = tag - 1;
      if (length > bytes.size() - at || !input.Skip(static_cast<int>(length))) {
        return absl::InternalError(absl::StrCat("packed rows end inside row ", rows.size()));
      }
      row.Add(RowView::Cell{absl::string_view(bytes).substr(at, length), false});
    }
  }
  return rows;
}

}  // namespace taskgres
