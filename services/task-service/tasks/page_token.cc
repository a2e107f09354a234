#include "tasks/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace taskgres::tasks {

std::string EncodePageToken(int64_t last_id, absl::string_view query_key) {
  return absl::WebSafeBase64Escape(absl::StrCat("p1|", last_id, "|", query_key));
}

absl::StatusOr<int64_t> DecodePageToken(absl::string_view token, absl::string_view query_key) {
  std::string text;
  const absl::Status invalid = absl::InvalidArgumentError(
      "the page token is not valid for this query; start again without one");
  if (!absl::WebSafeBase64Unescape(token, &text)) return invalid;
  absl::string_view rest(text);
  if (!absl::ConsumePrefix(&rest, "p1|")) return invalid;
  const size_t bar = rest.find('|');
  if (bar == absl::string_view::npos || rest.substr(bar + 1) != query_key) return invalid;
  int64_t last_id = 0;
  if (!absl::SimpleAtoi(rest.substr(0, bar), &last_id) || last_id < 0) return invalid;
  return last_id;
}

}  // namespace taskgres::tasks
