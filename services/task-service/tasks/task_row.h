// Converts database rows and change notifications into API messages.
#ifndef TASKGRES_TASK_SERVICE_TASKS_TASK_ROW_H_
#define TASKGRES_TASK_SERVICE_TASKS_TASK_ROW_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "dbclient/row_view.h"
#include "taskgres/internal/task_change.pb.h"
#include "taskgres/v1/db_router.pb.h"
#include "taskgres/v1/task.pb.h"

namespace taskgres::tasks {

// A row selected with kTaskColumns.
v1::Task ReadTask(const v1::Row& row);
// The same, written into `task` (e.g. one on the response's arena).
void ReadTaskInto(const v1::Row& row, v1::Task* task);
void ReadTaskInto(const RowView& row, v1::Task* task);

// The database's spelling of a source ("MANUAL", "FORTUNE") and back.
const char* SourceText(v1::TaskSource source);
v1::TaskSource SourceFromText(absl::string_view text);

// The database's spelling of a role ("CLIENT", "ADMIN") and back.
const char* RoleText(v1::Role role);
v1::Role RoleFromText(absl::string_view text);

// Parses a `task_events` payload; nullopt when it is not one.
std::optional<v1::TaskEvent> ParseTaskChange(const std::string& json);

}  // namespace taskgres::tasks

#endif  // TASKGRES_TASK_SERVICE_TASKS_TASK_ROW_H_
