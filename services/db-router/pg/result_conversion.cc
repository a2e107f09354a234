#include "pg/result_conversion.h"

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/coded_stream.h"

namespace taskgres::router {

int64_t RowsAffected(const PGresult* result) {
  int64_t affected = 0;
  const char* count = PQcmdTuples(const_cast<PGresult*>(result));
  if (count == nullptr || *count == '\0' || !absl::SimpleAtoi(count, &affected)) {
    affected = PQntuples(result);
  }
  return affected;
}

void PackRows(const PGresult* result, std::string& out) {
  using google::protobuf::io::CodedOutputStream;
  const int fields = PQnfields(result);
  const int tuples = PQntuples(result);
  // Sized exactly first, so the bytes are written with a single allocation.
  size_t size = 0;
  for (int r = 0; r < tuples; ++r) {
    for (int c = 0; c < fields; ++c) {
      const auto length = static_cast<uint32_t>(PQgetlength(result, r, c));
      size += PQgetisnull(result, r, c) ? 1 : CodedOutputStream::VarintSize32(length + 1) + length;
    }
  }
  const size_t start = out.size();
  out.resize(start + size);
  auto* cursor = reinterpret_cast<uint8_t*>(out.data() + start);
  for (int r = 0; r < tuples; ++r) {
    for (int c = 0; c < fields; ++c) {
      if (PQgetisnull(result, r, c)) {
        *cursor++ = 0;
        continue;
      }
      const auto length = static_cast<uint32_t>(PQgetlength(result, r, c));
      cursor = CodedOutputStream::WriteVarint32ToArray(length + 1, cursor);
      std::memcpy(cursor, PQgetvalue(result, r, c), length);
      cursor += length;
    }
  }
}

void CopyPackedResult(const PGresult* result, v1::ExecuteResponse& out) {
  CopyColumns(result, out);
  PackRows(result, *out.mutable_packed_rows());
  out.set_rows_affected(RowsAffected(result));
}

PgError ErrorFromResult(const PGresult* result) {
  PgError error;
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  error.sqlstate = state != nullptr ? state : "";
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  error.message = primary != nullptr ? primary : PQresultErrorMessage(result);
  if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) {
    absl::StrAppend(&error.message, " (", detail, ")");
  }
  if (const char* hint = PQresultErrorField(result, PG_DIAG_MESSAGE_HINT)) {
    absl::StrAppend(&error.message, " Hint: ", hint);
  }
  absl::StripTrailingAsciiWhitespace(&error.message);
  error.message = absl::StrReplaceAll(error.message, {{"\n", " "}});
  if (error.message.empty()) error.message = "the database reported an error without a message";
  return error;
}

}  // namespace taskgres::router
