// The database schema, as versioned migrations, and the SQL of each query.
#ifndef TASKGRES_TASK_SERVICE_DB_SCHEMA_H_
#define TASKGRES_TASK_SERVICE_DB_SCHEMA_H_

#include <string>
#include <vector>

namespace taskgres::tasks {

struct Migration {
  int version;
  std::string name;
  std::vector<std::string> statements;  // run in one transaction
};

// Every migration, oldest first. Never edit a released one: add a new one.
const std::vector<Migration>& Migrations();

// The notification channel the tasks trigger sends changes on.
inline constexpr char kTaskEventsChannel[] = "task_events";

// Columns every task query returns, in the order ReadTask expects.
inline constexpr char kTaskColumns[] =
    "id, owner, description, done, source, version, "
    "(extract(epoch FROM create_time) * 1000000)::bigint, "
    "(extract(epoch FROM update_time) * 1000000)::bigint";

}  // namespace taskgres::tasks

#endif  // TASKGRES_TASK_SERVICE_DB_SCHEMA_H_
