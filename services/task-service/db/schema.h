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

// Columns every task query returns, in the order ReadTask expects; times as
// whole microseconds since 1970. PostgreSQL 15's EXTRACT computes in numeric:
// 60 us of execution for a 100-task page against 40 with float8 date_part,
// whose seconds times 1e6 round back to the exact microsecond for any time
// between 1834 and 2106. Outside 1900-2100 the numeric form is kept.
inline constexpr char kTaskColumns[] =
    "id, owner, description, done, source, version, "
    "CASE WHEN create_time > '1900-01-01 00:00+00' AND create_time < '2100-01-01 00:00+00' "
    "THEN (date_part('epoch', create_time) * 1000000)::bigint "
    "ELSE (extract(epoch FROM create_time) * 1000000)::bigint END, "
    "CASE WHEN update_time > '1900-01-01 00:00+00' AND update_time < '2100-01-01 00:00+00' "
    "THEN (date_part('epoch', update_time) * 1000000)::bigint "
    "ELSE (extract(epoch FROM update_time) * 1000000)::bigint END";

}  // namespace taskgres::tasks

#endif  // TASKGRES_TASK_SERVICE_DB_SCHEMA_H_
