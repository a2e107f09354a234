#include "dbclient/row_view.h"

#include "absl/strings/numbers.h"
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

int64_t RowView::Int(int column) const {
  int64_t value = 0;
  if (!absl::SimpleAtoi(Text(column), &value)) return 0;
  return value;
}

absl::StatusOr<std::vector<RowView>> UnpackRows(const v1::ExecuteResponse& response) {
  const int columns = response.columns_size();
  const std::string& bytes = response.packed_rows();
  std::vector<RowView> rows;
  if (bytes.empty()) return rows;
  if (columns == 0) return absl::InternalError("packed rows without columns");
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(bytes.data()),
                                               static_cast<int>(bytes.size()));
  size_t offset = 0;
  while (offset < bytes.size()) {
    RowView& row = rows.emplace_back();
    for (int c = 0; c < columns; ++c) {
      uint32_t tag = 0;
      if (!input.ReadVarint32(&tag)) {
        return absl::InternalError(absl::StrCat("packed rows end inside row ", rows.size()));
      }
      offset = static_cast<size_t>(input.CurrentPosition());
      if (tag == 0) {
        row.Add(RowView::Cell{});
        continue;
      }
      const size_t length = tag - 1;
      if (length > bytes.size() - offset || !input.Skip(static_cast<int>(length))) {
        return absl::InternalError(absl::StrCat("packed rows end inside row ", rows.size()));
      }
      row.Add(RowView::Cell{absl::string_view(bytes.data() + offset, length), false});
      offset += length;
    }
  }
  return rows;
}

}  // namespace taskgres
