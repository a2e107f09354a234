// Copies a libpq result into the DbRouter response messages.
#ifndef TASKGRES_DB_ROUTER_PG_RESULT_CONVERSION_H_
#define TASKGRES_DB_ROUTER_PG_RESULT_CONVERSION_H_

#include <libpq-fe.h>

#include <cstdlib>
#include <string>

#include "taskgres/v1/db_router.pb.h"

namespace taskgres::router {

// Fills `columns` of ExecuteResponse or StatementResult (same field names).
template <typename Message>
void CopyColumns(const PGresult* result, Message& out) {
  const int fields = PQnfields(result);
  out.mutable_columns()->Reserve(fields);
  for (int c = 0; c < fields; ++c) {
    auto* column = out.add_columns();
    column->set_name(PQfname(result, c));
    column->set_type_oid(PQftype(result, c));
  }
}

// The row count of a COMMAND_OK result, or the tuples of a TUPLES_OK one.
int64_t RowsAffected(const PGresult* result);

// Fills `columns`, `rows` and `rows_affected` of ExecuteResponse or
// StatementResult from a COMMAND_OK or TUPLES_OK result.
template <typename Message>
void CopyResult(const PGresult* result, Message& out) {
  CopyColumns(result, out);
  const int fields = PQnfields(result);
  const int tuples = PQntuples(result);
  out.mutable_rows()->Reserve(tuples);
  for (int r = 0; r < tuples; ++r) {
    auto* row = out.add_rows();
    row->mutable_values()->Reserve(fields);
    for (int c = 0; c < fields; ++c) {
      auto* value = row->add_values();
      if (PQgetisnull(result, r, c)) {
        value->set_null_value({});
      } else {
        value->set_text(PQgetvalue(result, r, c), static_cast<size_t>(PQgetlength(result, r, c)));
      }
    }
  }
  out.set_rows_affected(RowsAffected(result));
}

// Appends every cell of `result` to `out` in ROW_FORMAT_PACKED (see
// ExecuteResponse.packed_rows).
void PackRows(const PGresult* result, std::string& out);

// CopyResult for a caller that asked for ROW_FORMAT_PACKED.
void CopyPackedResult(const PGresult* result, v1::ExecuteResponse& out);

// The bytes of all values of a result (what copying it costs, roughly).
inline size_t ResultBytes(const PGresult* result) {
  const int fields = PQnfields(result);
  const int tuples = PQntuples(result);
  size_t bytes = 0;
  for (int r = 0; r < tuples; ++r) {
    for (int c = 0; c < fields; ++c) bytes += static_cast<size_t>(PQgetlength(result, r, c));
  }
  return bytes;
}

// The error of a failed result: SQLSTATE and a one-line message with detail and hint.
struct PgError {
  std::string sqlstate;
  std::string message;
};
PgError ErrorFromResult(const PGresult* result);

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_PG_RESULT_CONVERSION_H_
