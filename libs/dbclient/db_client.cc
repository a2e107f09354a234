#include "dbclient/db_client.h"

#include <chrono>

#include "absl/time/clock.h"
#include "dbclient/row_view.h"
#include "google/protobuf/arena.h"
#include "grpcutil/arena_allocator.h"

namespace taskgres {

Query::Query(std::string sql, v1::Intent intent) {
  request_.set_sql(std::move(sql));
  request_.set_intent(intent);
}

Query& Query::Text(absl::string_view value) {
  request_.add_params()->set_text(std::string(value));
  return *this;
}

Query& Query::OptionalText(const std::optional<std::string>& value) {
  return value ? Text(*value) : Null();
}

Query& Query::Int(int64_t value) { return Text(std::to_string(value)); }

Query& Query::Bool(bool value) { return Text(value ? "true" : "false"); }

Query& Query::OptionalBool(std::optional<bool> value) { return value ? Bool(*value) : Null(); }

Query& Query::Null() {
  request_.add_params()->set_null_value({});
  return *this;
}

Query& Query::MinLsn(uint64_t lsn) {
  if (lsn > 0) request_.mutable_consistency()->set_min_lsn(lsn);
  return *this;
}

Query& Query::PackedRows() {
  request_.set_row_format(v1::ROW_FORMAT_PACKED);
  return *this;
}

DbClient::DbClient(std::shared_ptr<grpc::Channel> channel, ServiceCredential credential,
                   absl::Duration timeout)
    : stub_(v1::DbRouter::NewStub(std::move(channel))),
      credential_(std::move(credential)),
      timeout_(timeout) {}

void DbClient::Prepare(grpc::ClientContext& context, std::optional<absl::Time> deadline) const {
  credential_.AttachTo(context);
  absl::Time until = absl::Now() + timeout_;
  if (deadline && *deadline < until) until = *deadline;
  context.set_deadline(absl::ToChronoTime(until));
}

void DbClient::PrepareStreamContext(grpc::ClientContext& context) const {
  credential_.AttachTo(context);
}

void DbClient::Execute(Query query, ExecuteCallback done, std::optional<absl::Time> deadline) {
  // A result of many rows parses into many small messages: an arena (its
  // first block inside the call) saves a malloc and a free for each.
  struct Call {
    grpc::ClientContext context;
    v1::ExecuteRequest request;
    ExecuteCallback done;
    alignas(16) char block[4096];
    google::protobuf::Arena arena{ArenaOptionsWithFirstBlock(block, sizeof(block))};
    v1::ExecuteResponse* response =
        google::protobuf::Arena::CreateMessage<v1::ExecuteResponse>(&arena);
  };
  auto call = std::make_unique<Call>();
  Prepare(call->context, deadline);
  call->request = std::move(query.request());
  call->done = std::move(done);
  Call* raw = call.release();  // owned by the completion below
  stub_->async()->Execute(&raw->context, &raw->request, raw->response,
                          [raw](const grpc::Status& status) {
                            std::unique_ptr<Call> owned(raw);
                            owned->done(status, *owned->response);
                          });
}

void DbClient::ExecuteTransaction(v1::ExecuteTransactionRequest request, TransactionCallback done,
                                  std::optional<absl::Time> deadline) {
  struct Call {
    grpc::ClientContext context;
    v1::ExecuteTransactionRequest request;
    v1::ExecuteTransactionResponse response;
    TransactionCallback done;
  };
  auto call = std::make_unique<Call>();
  Prepare(call->context, deadline);
  call->request = std::move(request);
  call->done = std::move(done);
  Call* raw = call.release();  // owned by the completion below
  stub_->async()->ExecuteTransaction(&raw->context, &raw->request, &raw->response,
                                     [raw](const grpc::Status& status) {
                                       std::unique_ptr<Call> owned(raw);
                                       owned->done(status, std::move(owned->response));
                                     });
}

grpc::Status DbClient::ExecuteSync(const Query& query, v1::ExecuteResponse* response) {
  grpc::ClientContext context;
  Prepare(context, std::nullopt);
  return stub_->Execute(&context, query.request(), response);
}

grpc::Status DbClient::ExecuteTransactionSync(const v1::ExecuteTransactionRequest& request,
                                              v1::ExecuteTransactionResponse* response) {
  grpc::ClientContext context;
  Prepare(context, std::nullopt);
  return stub_->ExecuteTransaction(&context, request, response);
}

const std::string& TextAt(const v1::Row& row, int column) { return row.values(column).text(); }

bool IsNullAt(const v1::Row& row, int column) {
  return row.values(column).kind_case() != v1::Value::kText;
}

int64_t IntAt(const v1::Row& row, int column) { return IntFromCell(TextAt(row, column)); }

bool BoolAt(const v1::Row& row, int column) { return TextAt(row, column) == "t"; }

}  // namespace taskgres
