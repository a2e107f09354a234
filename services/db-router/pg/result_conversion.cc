#include "pg/result_conversion.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace taskgres::router {

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
