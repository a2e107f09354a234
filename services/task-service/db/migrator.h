// Applies the schema migrations at start-up, one instance at a time.
#ifndef TASKGRES_TASK_SERVICE_DB_MIGRATOR_H_
#define TASKGRES_TASK_SERVICE_DB_MIGRATOR_H_

#include <vector>

#include "absl/status/statusor.h"
#include "db/schema.h"
#include "dbclient/db_client.h"

namespace taskgres::tasks {

// Applies every migration not yet recorded in schema_migrations, each in a
// transaction holding an advisory lock, so concurrent instances apply each
// one exactly once. Returns the versions this call applied (empty on a
// restart against an up-to-date database).
absl::StatusOr<std::vector<int>> ApplyMigrations(DbClient& db,
                                                 const std::vector<Migration>& migrations);

}  // namespace taskgres::tasks

#endif  // TASKGRES_TASK_SERVICE_DB_MIGRATOR_H_
