// TaskService: the task RPCs and the two streams.
#include "absl/strings/str_cat.h"
#include "db/schema.h"
#include "fortune/fortune_relay.h"
#include "grpcutil/status.h"
#include "task_service.h"
#include "tasks/list_query.h"
#include "tasks/page_token.h"
#include "tasks/task_row.h"
#include "validation/text_rules.h"
#include "watch/watch_reactor.h"

namespace taskgres::tasks {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr size_t kMaxRequestIdLength = 64;

// The SQL filter for an owner: everyone ("*") or one owner.
std::string OwnerFilterQueryKey(const std::string& owner, const v1::TaskFilter& filter) {
  return absl::StrCat(owner, "|done=", filter.has_done() ? (filter.done() ? "t" : "f") : "any",
                      "|source=", static_cast<int>(filter.source()));
}

}  // namespace

grpc::ServerUnaryReactor* TaskServiceImpl::ListTasks(grpc::CallbackServerContext* context,
                                                     const v1::ListTasksRequest* request,
                                                     v1::ListTasksResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Authenticate(context, [this, context, reactor, request, response](absl::StatusOr<Caller> caller) {
    if (!caller.ok()) {
      reactor->Finish(ToGrpcStatus(caller.status()));
      return;
    }
    absl::StatusOr<std::string> owner = ResolveOwner(*caller, request->owner(), /*allow_all=*/true);
    if (!owner.ok()) {
      reactor->Finish(ToGrpcStatus(owner.status()));
      return;
    }
    if (request->page_size() < 0 || request->page_size() > kMaxPageSize) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                   absl::StrCat("page_size must be between 1 and ", kMaxPageSize,
                                                " (0 = ", kDefaultPageSize, ")")));
      return;
    }
    absl::StatusOr<uint64_t> min_lsn = ReadLsn(context, *caller);
    if (!min_lsn.ok()) {
      reactor->Finish(ToGrpcStatus(min_lsn.status()));
      return;
    }
    const int page_size = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
    const std::string query_key = OwnerFilterQueryKey(*owner, request->filter());
    int64_t after_id = 0;
    if (!request->page_token().empty()) {
      absl::StatusOr<int64_t> decoded = DecodePageToken(request->page_token(), query_key);
      if (!decoded.ok()) {
        reactor->Finish(ToGrpcStatus(decoded.status()));
        return;
      }
      after_id = *decoded;
    }
    Query query(ListTasksSql(*owner == "*"), v1::INTENT_READ);
    query.Text(*owner).Int(after_id).OptionalBool(
        request->filter().has_done() ? std::make_optional(request->filter().done()) : std::nullopt);
    query.OptionalText(
        request->filter().source() == v1::TASK_SOURCE_UNSPECIFIED
            ? std::nullopt
            : std::make_optional<std::string>(SourceText(request->filter().source())));
    query.Int(page_size + 1).MinLsn(*min_lsn).PackedRows();
    deps_.db.Execute(
        std::move(query),
        [reactor, response, page_size, query_key](const grpc::Status& status,
                                                  v1::ExecuteResponse& rows) {
          if (!status.ok()) {
            reactor->Finish(DatabaseError(status, "listing tasks"));
            return;
          }
          absl::StatusOr<std::vector<RowView>> tasks = UnpackRows(rows);
          if (!tasks.ok()) {
            reactor->Finish(DatabaseError(ToGrpcStatus(tasks.status()), "listing tasks"));
            return;
          }
          const int found = static_cast<int>(tasks->size());
          const int count = std::min(found, page_size);
          response->mutable_tasks()->Reserve(count);
          for (int i = 0; i < count; ++i) ReadTaskInto((*tasks)[i], response->add_tasks());
          if (found > page_size) {
            response->set_next_page_token(
                EncodePageToken(response->tasks(count - 1).id(), query_key));
          }
          reactor->Finish(grpc::Status::OK);
        },
        absl::FromChrono(context->deadline()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::CreateTask(grpc::CallbackServerContext* context,
                                                      const v1::CreateTaskRequest* request,
                                                      v1::Task* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Authenticate(context, [this, context, reactor, request, response](absl::StatusOr<Caller> caller) {
    if (!caller.ok()) {
      reactor->Finish(ToGrpcStatus(caller.status()));
      return;
    }
    absl::StatusOr<std::string> owner =
        ResolveOwner(*caller, request->owner(), /*allow_all=*/false);
    if (!owner.ok()) {
      reactor->Finish(ToGrpcStatus(owner.status()));
      return;
    }
    absl::StatusOr<std::string> description = ValidateDescription(request->description());
    if (!description.ok()) {
      reactor->Finish(ToGrpcStatus(description.status()));
      return;
    }
    if (request->request_id().size() > kMaxRequestIdLength) {
      reactor->Finish(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("request_id can be at most ", kMaxRequestIdLength, " characters")));
      return;
    }
    const std::optional<std::string> request_id =
        request->request_id().empty() ? std::nullopt : std::make_optional(request->request_id());
    // A retry with the same request_id inserts nothing and returns the first task.
    Query insert(
        absl::StrCat(
            "WITH inserted AS (INSERT INTO tasks (owner, description, source, request_id) "
            "VALUES ($1, $2, 'MANUAL', $3) ON CONFLICT (owner, request_id) DO NOTHING RETURNING *) "
            "SELECT ",
            kTaskColumns, " FROM inserted UNION ALL SELECT ", kTaskColumns,
            " FROM tasks WHERE owner = $1 AND request_id = $3 AND NOT EXISTS (SELECT 1 FROM "
            "inserted)"),
        v1::INTENT_WRITE);
    insert.Text(*owner).Text(*description).OptionalText(request_id);
    deps_.db.Execute(
        std::move(insert),
        [this, context, reactor, response, owner = *owner, caller = *caller](
            const grpc::Status& status, v1::ExecuteResponse& rows) {
          if (status.error_code() ==
              grpc::StatusCode::FAILED_PRECONDITION) {  // foreign key: no such owner
            reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                         absl::StrCat("there is no user '", owner, "'")));
            return;
          }
          if (!status.ok() || rows.rows_size() != 1) {
            reactor->Finish(
                status.ok() ? grpc::Status(grpc::StatusCode::ABORTED,
                                           "the same request_id is being used concurrently; retry")
                            : DatabaseError(status, "creating the task"));
            return;
          }
          ReadTaskInto(rows.rows(0), response);
          deps_.metrics.CountCreated(v1::TASK_SOURCE_MANUAL);
          RecordWrite(context, caller.username, rows.commit_lsn());
          if (owner != caller.username) deps_.lsns.Remember(owner, rows.commit_lsn());
          reactor->Finish(grpc::Status::OK);
        },
        absl::FromChrono(context->deadline()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::UpdateTask(grpc::CallbackServerContext* context,
                                                      const v1::UpdateTaskRequest* request,
                                                      v1::Task* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Authenticate(context, [this, context, reactor, request, response](absl::StatusOr<Caller> caller) {
    if (!caller.ok()) {
      reactor->Finish(ToGrpcStatus(caller.status()));
      return;
    }
    if (request->id() <= 0) {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "give the id of the task to change"));
      return;
    }
    if (!request->has_description() && !request->has_done()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                   "nothing to change: set the description, done, or both"));
      return;
    }
    std::optional<std::string> description;
    if (request->has_description()) {
      absl::StatusOr<std::string> valid = ValidateDescription(request->description());
      if (!valid.ok()) {
        reactor->Finish(ToGrpcStatus(valid.status()));
        return;
      }
      description = *valid;
    }
    // Clients only ever match their own rows: another user's id looks absent.
    const std::optional<std::string> owner =
        caller->admin() ? std::nullopt : std::make_optional(caller->username);
    Query update(
        absl::StrCat(
            "WITH updated AS (UPDATE tasks SET description = COALESCE($3, description), "
            "done = COALESCE($4, done), version = version + 1, update_time = now() "
            "WHERE id = $1 AND ($2::text IS NULL OR owner = $2) AND ($5 = 0 OR version = $5) "
            "RETURNING *) SELECT true, ",
            kTaskColumns,
            " FROM updated UNION ALL "
            "SELECT false, ",
            kTaskColumns,
            " FROM tasks WHERE id = $1 AND ($2::text IS NULL OR "
            "owner = $2) AND NOT EXISTS (SELECT 1 FROM updated)"),
        v1::INTENT_WRITE);
    update.Int(request->id()).OptionalText(owner).OptionalText(description);
    update.OptionalBool(request->has_done() ? std::make_optional(request->done()) : std::nullopt);
    update.Int(request->expected_version());
    deps_.db.Execute(
        std::move(update),
        [this, context, reactor, request, response, caller = *caller](const grpc::Status& status,
                                                                      v1::ExecuteResponse& rows) {
          if (!status.ok()) {
            reactor->Finish(DatabaseError(status, "changing the task"));
            return;
          }
          if (rows.rows_size() == 0) {
            reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                         absl::StrCat("there is no task ", request->id())));
            return;
          }
          // Drop the leading "updated?" column.
          v1::Row row = rows.rows(0);
          const bool updated = BoolAt(row, 0);
          row.mutable_values()->erase(row.mutable_values()->begin());
          v1::Task task = ReadTask(row);
          if (!updated) {
            reactor->Finish(grpc::Status(
                grpc::StatusCode::ABORTED,
                absl::StrCat("task ", request->id(),
                             " was changed by someone else (it is now at version ", task.version(),
                             ", you expected ", request->expected_version(),
                             "); reload it and try again")));
            return;
          }
          *response = std::move(task);
          RecordWrite(context, caller.username, rows.commit_lsn());
          reactor->Finish(grpc::Status::OK);
        },
        absl::FromChrono(context->deadline()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::DeleteTask(grpc::CallbackServerContext* context,
                                                      const v1::DeleteTaskRequest* request,
                                                      v1::DeleteTaskResponse* /*response*/) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Authenticate(context, [this, context, reactor, request](absl::StatusOr<Caller> caller) {
    if (!caller.ok()) {
      reactor->Finish(ToGrpcStatus(caller.status()));
      return;
    }
    if (request->id() <= 0) {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "give the id of the task to delete"));
      return;
    }
    const std::optional<std::string> owner =
        caller->admin() ? std::nullopt : std::make_optional(caller->username);
    deps_.db.Execute(
        Query("DELETE FROM tasks WHERE id = $1 AND ($2::text IS NULL OR owner = $2)",
              v1::INTENT_WRITE)
            .Int(request->id())
            .OptionalText(owner),
        [this, context, reactor, request, caller = *caller](const grpc::Status& status,
                                                            v1::ExecuteResponse& rows) {
          if (!status.ok()) {
            reactor->Finish(DatabaseError(status, "deleting the task"));
            return;
          }
          if (rows.rows_affected() == 0) {
            reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                         absl::StrCat("there is no task ", request->id())));
            return;
          }
          deps_.metrics.CountDeleted(1);
          RecordWrite(context, caller.username, rows.commit_lsn());
          reactor->Finish(grpc::Status::OK);
        },
        absl::FromChrono(context->deadline()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::DeleteFortunes(grpc::CallbackServerContext* context,
                                                          const v1::DeleteFortunesRequest* request,
                                                          v1::DeleteFortunesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Authenticate(context, [this, context, reactor, request, response](absl::StatusOr<Caller> caller) {
    if (!caller.ok()) {
      reactor->Finish(ToGrpcStatus(caller.status()));
      return;
    }
    absl::StatusOr<std::string> owner =
        ResolveOwner(*caller, request->owner(), /*allow_all=*/false);
    if (!owner.ok()) {
      reactor->Finish(ToGrpcStatus(owner.status()));
      return;
    }
    deps_.db.Execute(
        Query("DELETE FROM tasks WHERE owner = $1 AND source = 'FORTUNE'", v1::INTENT_WRITE)
            .Text(*owner),
        [this, context, reactor, response, caller = *caller](const grpc::Status& status,
                                                             v1::ExecuteResponse& rows) {
          if (!status.ok()) {
            reactor->Finish(DatabaseError(status, "deleting fortunes"));
            return;
          }
          response->set_deleted(rows.rows_affected());
          deps_.metrics.CountDeleted(static_cast<double>(rows.rows_affected()));
          RecordWrite(context, caller.username, rows.commit_lsn());
          reactor->Finish(grpc::Status::OK);
        },
        absl::FromChrono(context->deadline()));
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::TaskEvent>* TaskServiceImpl::WatchTasks(
    grpc::CallbackServerContext* context, const v1::WatchTasksRequest* request) {
  auto* reactor = new WatchReactor(context, deps_.hub, options_.watch_buffer, deps_.metrics,
                                   deps_.streams, deps_.timers);  // deletes itself
  reactor->Hold();                                                // until the caller is known
  // The request may be gone by the time the callback runs (the stream can be
  // cancelled meanwhile): copy what it needs.
  Authenticate(context, [this, context, reactor,
                         requested = request->owner()](absl::StatusOr<Caller> caller) {
    absl::StatusOr<std::string> owner =
        caller.ok() ? ResolveOwner(*caller, requested, /*allow_all=*/true) : caller.status();
    if (!owner.ok()) {
      reactor->FinishNow(ToGrpcStatus(owner.status()));
    } else {
      // The stream outlives this check: while it lasts, the token must stay
      // valid and, for someone else's tasks, the caller an admin.
      // UNAVAILABLE while the hub is not listening.
      reactor->Subscribe(
          *owner, options_.admin_role_ttl,
          [this, token = BearerToken(context), owner = *owner, username = caller->username](
              auto verdict) { RecheckWatcher(token, owner, username, std::move(verdict)); });
    }
    reactor->Release();
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::Task>* TaskServiceImpl::GenerateFortunes(
    grpc::CallbackServerContext* context, const v1::GenerateFortunesRequest* request) {
  auto* relay = new FortuneRelay(context, deps_.fortunes, deps_.credential, deps_.metrics,
                                 deps_.streams);  // deletes itself
  if (request->interval_ms() != 0 && request->interval_ms() < 100) {
    relay->FinishNow(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  "interval_ms must be at least 100 (0 = 5000)"));
    return relay;
  }
  if (request->max_count() < 0) {
    relay->FinishNow(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "max_count cannot be negative"));
    return relay;
  }
  v1::GenerateRequest upstream;
  upstream.set_interval_ms(request->interval_ms());
  upstream.set_max_count(request->max_count());
  if (request->has_clear_previous()) upstream.set_clear_previous(request->clear_previous());
  relay->Hold();  // until the caller is known
  Authenticate(context,
               [relay, upstream = std::move(upstream)](absl::StatusOr<Caller> caller) mutable {
                 if (!caller.ok()) {
                   relay->FinishNow(ToGrpcStatus(caller.status()));
                 } else {
                   upstream.set_owner(caller->username);
                   relay->Begin(upstream);
                 }
                 relay->Release();
               });
  return relay;
}

}  // namespace taskgres::tasks
