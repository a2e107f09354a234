#include "db/migrator.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "grpcutil/status.h"
#include "logging/json_log.h"

namespace taskgres::tasks {
namespace {

// Arbitrary, fixed: every instance locks the same key.
constexpr char kLockSql[] = "SELECT pg_advisory_xact_lock(7245001)";

void AddStatement(v1::ExecuteTransactionRequest& request, std::string sql) {
  request.add_statements()->set_sql(std::move(sql));
}

}  // namespace

absl::StatusOr<std::vector<int>> ApplyMigrations(DbClient& db,
                                                 const std::vector<Migration>& migrations) {
  v1::ExecuteTransactionRequest setup;
  AddStatement(setup, kLockSql);
  AddStatement(setup,
               "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name "
               "text NOT NULL, "
               "applied_at timestamptz NOT NULL DEFAULT now())");
  v1::ExecuteTransactionResponse ignored;
  if (grpc::Status status = db.ExecuteTransactionSync(setup, &ignored); !status.ok()) {
    return absl::Status(ToAbslStatus(status).code(),
                        absl::StrCat("cannot prepare schema migrations: ", status.error_message()));
  }
  v1::ExecuteResponse applied_rows;
  // On the primary: a replica might not have the table yet.
  if (grpc::Status status = db.ExecuteSync(
          Query("SELECT version FROM schema_migrations", v1::INTENT_WRITE), &applied_rows);
      !status.ok()) {
    return ToAbslStatus(status);
  }
  std::set<int64_t> applied;
  for (const v1::Row& row : applied_rows.rows()) applied.insert(IntAt(row, 0));

  std::vector<int> newly_applied;
  for (const Migration& migration : migrations) {
    if (applied.contains(migration.version)) continue;
    v1::ExecuteTransactionRequest request;
    AddStatement(request, kLockSql);
    // Recording first: an instance that lost the race fails here and skips.
    v1::Statement* record = request.add_statements();
    record->set_sql("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)");
    record->add_params()->set_text(std::to_string(migration.version));
    record->add_params()->set_text(migration.name);
    for (const std::string& sql : migration.statements) AddStatement(request, sql);
    v1::ExecuteTransactionResponse response;
    grpc::Status status = db.ExecuteTransactionSync(request, &response);
    if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS)
      continue;  // another instance did it
    if (!status.ok()) {
      return absl::Status(ToAbslStatus(status).code(),
                          absl::StrCat("migration ", migration.version, " (", migration.name,
                                       ") failed: ", status.error_message()));
    }
    log::Info("applied a schema migration",
              {{"version", migration.version}, {"name", migration.name}});
    newly_applied.push_back(migration.version);
  }
  return newly_applied;
}

}  // namespace taskgres::tasks
