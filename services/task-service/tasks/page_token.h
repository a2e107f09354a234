// Opaque page tokens for ListTasks: where the last page ended, bound to the
// query that produced it.
#ifndef TASKGRES_TASK_SERVICE_TASKS_PAGE_TOKEN_H_
#define TASKGRES_TASK_SERVICE_TASKS_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace taskgres::tasks {

// Encodes "after task id `last_id`" for the query described by `query_key`
// (owner and filter).
std::string EncodePageToken(int64_t last_id, absl::string_view query_key);

// The last id, or INVALID_ARGUMENT when the token is malformed or was issued
// for a different query.
absl::StatusOr<int64_t> DecodePageToken(absl::string_view token, absl::string_view query_key);

}  // namespace taskgres::tasks

#endif  // TASKGRES_TASK_SERVICE_TASKS_PAGE_TOKEN_H_
