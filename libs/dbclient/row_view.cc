#include "dbclient/row_view.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/str_cat.h"

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
  // std::from_chars: a page of tasks parses four integers a row, and it is
  // several times cheaper than the locale-free but general absl::SimpleAtoi.
  const absl::string_view text = Text(column);
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return 0;
  return value;
}

namespace {

// A protobuf-style varint of at most 32 bits at `*at`; false past `end` or when too long.
bool ReadVarint32(const char*& at, const char* end, uint32_t& value) {
  value = 0;
  for (int shift = 0; shift < 35 && at < end; shift += 7) {
    const auto byte = static_cast<uint8_t>(*at++);
    value |= static_cast<uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::vector<RowView>> UnpackRows(const v1::ExecuteResponse& response) {
  const int columns = response.columns_size();
  const std::string& bytes = response.packed_rows();
  std::vector<RowView> rows;
  if (bytes.empty()) return rows;
  if (columns == 0) return absl::InternalError("packed rows without columns");
  const char* at = bytes.data();
  const char* const end = at + bytes.size();
  // The router counts the rows of a SELECT; every cell takes a byte at least.
  rows.reserve(std::min(static_cast<size_t>(std::max<int64_t>(response.rows_affected(), 0)),
                        bytes.size() / static_cast<size_t>(columns)));
  while (at < end) {
    RowView& row = rows.emplace_back();
    for (int c = 0; c < columns; ++c) {
      uint32_t tag = 0;
      if (!ReadVarint32(at, end, tag)) {
        return absl::InternalError(absl::StrCat("packed rows end inside row ", rows.size()));
      }
      if (tag == 0) {
        row.Add(RowView::Cell{});
        continue;
      }
      const size_t length = tag - 1;
      if (length > static_cast<size_t>(end - at)) {
        return absl::InternalError(absl::StrCat("packed rows end inside row ", rows.size()));
      }
      row.Add(RowView::Cell{absl::string_view(at, length), false});
      at += length;
    }
  }
  return rows;
}

}  // namespace taskgres
