// Reading result rows without copying them: a view of one row's cells, from a
// Row message or from ExecuteResponse.packed_rows (ROW_FORMAT_PACKED).
#ifndef TASKGRES_LIBS_DBCLIENT_ROW_VIEW_H_
#define TASKGRES_LIBS_DBCLIENT_ROW_VIEW_H_

#include <cstdint>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "taskgres/v1/db_router.pb.h"

namespace taskgres {

// A cell's text as an integer: the whole text, within int64, else 0.
int64_t IntFromCell(absl::string_view text);

// Valid as long as the message it views.
class RowView {
 public:
  struct Cell {
    absl::string_view text;
    bool null = true;
  };

  RowView() = default;
  explicit RowView(const v1::Row& row);

  void Add(Cell cell) { cells_.push_back(cell); }
  int size() const { return static_cast<int>(cells_.size()); }

  // A column past the end reads as NULL.
  bool IsNull(int column) const { return At(column).null; }
  absl::string_view Text(int column) const { return At(column).text; }  // empty for NULL
  int64_t Int(int column) const { return IntFromCell(Text(column)); }
  bool Bool(int column) const { return Text(column) == "t"; }

 private:
  const Cell& At(int column) const;

  absl::InlinedVector<Cell, 10> cells_;
};

// The rows of a response asked for with ROW_FORMAT_PACKED (one cell per column).
// INTERNAL when the bytes do not decode: a router speaking another format.
absl::StatusOr<std::vector<RowView>> UnpackRows(const v1::ExecuteResponse& response);

}  // namespace taskgres

#endif  // TASKGRES_LIBS_DBCLIENT_ROW_VIEW_H_
