#include "tasks/task_row.h"

#include "dbclient/db_client.h"
#include "google/protobuf/util/json_util.h"

namespace taskgres::tasks {
namespace {

// In place (the timestamp may live on the response's arena); nanos stay in
// [0, 1e9) for times before 1970 too, as Timestamp requires.
void SetMicros(int64_t micros, google::protobuf::Timestamp* timestamp) {
  int64_t seconds = micros / 1'000'000;
  int64_t rest = micros % 1'000'000;
  if (rest < 0) {
    rest += 1'000'000;
    --seconds;
  }
  timestamp->set_seconds(seconds);
  timestamp->set_nanos(static_cast<int32_t>(rest * 1000));
}

}  // namespace

const char* SourceText(v1::TaskSource source) {
  return source == v1::TASK_SOURCE_FORTUNE ? "FORTUNE" : "MANUAL";
}

v1::TaskSource SourceFromText(absl::string_view text) {
  if (text == "FORTUNE") return v1::TASK_SOURCE_FORTUNE;
  if (text == "MANUAL") return v1::TASK_SOURCE_MANUAL;
  return v1::TASK_SOURCE_UNSPECIFIED;
}

const char* RoleText(v1::Role role) { return role == v1::ROLE_ADMIN ? "ADMIN" : "CLIENT"; }

v1::Role RoleFromText(absl::string_view text) {
  if (text == "ADMIN") return v1::ROLE_ADMIN;
  if (text == "CLIENT") return v1::ROLE_CLIENT;
  return v1::ROLE_UNSPECIFIED;
}

void ReadTaskInto(const RowView& row, v1::Task* task) {
  task->set_id(row.Int(0));
  task->set_owner(row.Text(1).data(), row.Text(1).size());
  task->set_description(row.Text(2).data(), row.Text(2).size());
  task->set_done(row.Bool(3));
  task->set_source(SourceFromText(row.Text(4)));
  task->set_version(row.Int(5));
  SetMicros(row.Int(6), task->mutable_create_time());
  SetMicros(row.Int(7), task->mutable_update_time());
}

void ReadTaskInto(const v1::Row& row, v1::Task* task) { ReadTaskInto(RowView(row), task); }

v1::Task ReadTask(const v1::Row& row) {
  v1::Task task;
  ReadTaskInto(row, &task);
  return task;
}

std::optional<v1::TaskEvent> ParseTaskChange(const std::string& json) {
  internal::TaskChange change;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(json, &change, options).ok())
    return std::nullopt;
  v1::TaskEvent event;
  if (change.op() == "INSERT") {
    event.set_type(v1::TaskEvent::TYPE_CREATED);
  } else if (change.op() == "UPDATE") {
    event.set_type(v1::TaskEvent::TYPE_UPDATED);
  } else if (change.op() == "DELETE") {
    event.set_type(v1::TaskEvent::TYPE_DELETED);
  } else {
    return std::nullopt;
  }
  v1::Task* task = event.mutable_task();
  task->set_id(change.id());
  task->set_owner(change.owner());
  task->set_description(change.description());
  task->set_done(change.done());
  task->set_source(SourceFromText(change.source()));
  task->set_version(change.version());
  SetMicros(change.create_us(), task->mutable_create_time());
  SetMicros(change.update_us(), task->mutable_update_time());
  return event;
}

}  // namespace taskgres::tasks
