// The SQL of ListTasks, shared with the test that checks its plan.
#ifndef TASKGRES_TASK_SERVICE_TASKS_LIST_QUERY_H_
#define TASKGRES_TASK_SERVICE_TASKS_LIST_QUERY_H_

#include <string>

namespace taskgres::tasks {

// Parameters: $1 owner (any non-null text when `everyone`), $2 the last id of
// the previous page (0 for the first), $3 done or NULL, $4 source or NULL,
// $5 the row limit. Rows come in id order with kTaskColumns.
const std::string& ListTasksSql(bool everyone);

}  // namespace taskgres::tasks

#endif  // TASKGRES_TASK_SERVICE_TASKS_LIST_QUERY_H_
