// The client side of db-router for the other services: asynchronous calls
// with the service credential and a deadline on every call.
#ifndef TASKGRES_LIBS_DBCLIENT_DB_CLIENT_H_
#define TASKGRES_LIBS_DBCLIENT_DB_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/service_credential.h"
#include "grpcpp/channel.h"
#include "taskgres/v1/db_router.grpc.pb.h"

namespace taskgres {

// Builds a DbRouter request: SQL plus typed parameters, always sent apart.
class Query {
 public:
  Query(std::string sql, v1::Intent intent);
  Query& Text(absl::string_view value);
  Query& OptionalText(const std::optional<std::string>& value);  // nullopt -> NULL
  Query& Int(int64_t value);
  Query& Bool(bool value);
  Query& OptionalBool(std::optional<bool> value);
  Query& Null();
  // Read-your-writes: serve only from a node that replayed past `lsn`.
  Query& MinLsn(uint64_t lsn);
  // Rows come in `packed_rows` (read them with UnpackRows): for results with many cells.
  Query& PackedRows();
  const v1::ExecuteRequest& request() const { return request_; }
  v1::ExecuteRequest& request() { return request_; }

 private:
  v1::ExecuteRequest request_;
};

class DbClient {
 public:
  // The response lives on an arena that ends with the callback: read it (or
  // copy what must outlive it) there.
  using ExecuteCallback = absl::AnyInvocable<void(const grpc::Status&, v1::ExecuteResponse&)>;
  using TransactionCallback =
      absl::AnyInvocable<void(const grpc::Status&, v1::ExecuteTransactionResponse&&)>;

  // `timeout` bounds every call unless a caller deadline comes first.
  DbClient(std::shared_ptr<grpc::Channel> channel, ServiceCredential credential,
           absl::Duration timeout);

  // Runs asynchronously; `done` runs on a gRPC thread. `deadline` (if set)
  // caps the call, so an abandoned caller does not keep the database busy.
  void Execute(Query query, ExecuteCallback done,
               std::optional<absl::Time> deadline = std::nullopt);
  void ExecuteTransaction(v1::ExecuteTransactionRequest request, TransactionCallback done,
                          std::optional<absl::Time> deadline = std::nullopt);

  // Blocking forms, for start-up work.
  grpc::Status ExecuteSync(const Query& query, v1::ExecuteResponse* response);
  grpc::Status ExecuteTransactionSync(const v1::ExecuteTransactionRequest& request,
                                      v1::ExecuteTransactionResponse* response);

  // For streams (Listen): a context with the credential and no deadline.
  void PrepareStreamContext(grpc::ClientContext& context) const;
  v1::DbRouter::Stub& stub() { return *stub_; }

 private:
  void Prepare(grpc::ClientContext& context, std::optional<absl::Time> deadline) const;

  std::unique_ptr<v1::DbRouter::Stub> stub_;
  ServiceCredential credential_;
  absl::Duration timeout_;
};

// Value `column` of `row` as text; empty for NULL.
const std::string& TextAt(const v1::Row& row, int column);
bool IsNullAt(const v1::Row& row, int column);
int64_t IntAt(const v1::Row& row, int column);
bool BoolAt(const v1::Row& row, int column);

}  // namespace taskgres

#endif  // TASKGRES_LIBS_DBCLIENT_DB_CLIENT_H_
