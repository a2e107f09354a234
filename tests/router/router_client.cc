#include "router/router_client.h"

#include "gtest/gtest.h"

namespace taskgres::testing {

RouterClient::RouterClient(const std::string& address, std::string token)
    : token_(std::move(token)), stub_(v1::DbRouter::NewStub(Channel(address))) {}

void RouterClient::Prepare(grpc::ClientContext& context, std::chrono::milliseconds deadline) const {
  if (!token_.empty()) context.AddMetadata("authorization", "Bearer " + token_);
  context.set_deadline(std::chrono::system_clock::now() + deadline);
}

namespace {

void AddParams(const std::vector<Param>& params,
               google::protobuf::RepeatedPtrField<v1::Value>* out) {
  for (const Param& param : params) {
    v1::Value* value = out->Add();
    if (param) {
      value->set_text(*param);
    } else {
      value->set_null_value({});
    }
  }
}

std::string SqlState(const grpc::ClientContext& context) {
  auto it = context.GetServerTrailingMetadata().find("x-sqlstate");
  return it == context.GetServerTrailingMetadata().end()
             ? ""
             : std::string(it->second.data(), it->second.size());
}

}  // namespace

grpc::Status RouterClient::Execute(const std::string& sql, const std::vector<Param>& params,
                                   v1::Intent intent, v1::ExecuteResponse* response,
                                   uint64_t min_lsn, std::chrono::milliseconds deadline,
                                   std::string* sqlstate, uint32_t timeout_ms) {
  grpc::ClientContext context;
  Prepare(context, deadline);
  v1::ExecuteRequest request;
  request.set_sql(sql);
  AddParams(params, request.mutable_params());
  request.set_intent(intent);
  request.mutable_consistency()->set_min_lsn(min_lsn);
  request.set_timeout_ms(timeout_ms);
  grpc::Status status = stub_->Execute(&context, request, response);
  if (sqlstate != nullptr) *sqlstate = SqlState(context);
  return status;
}

grpc::Status RouterClient::Transaction(
    const std::vector<std::pair<std::string, std::vector<Param>>>& statements,
    v1::ExecuteTransactionResponse* response, std::string* sqlstate) {
  grpc::ClientContext context;
  Prepare(context, std::chrono::seconds(10));
  v1::ExecuteTransactionRequest request;
  for (const auto& [sql, params] : statements) {
    v1::Statement* statement = request.add_statements();
    statement->set_sql(sql);
    AddParams(params, statement->mutable_params());
  }
  grpc::Status status = stub_->ExecuteTransaction(&context, request, response);
  if (sqlstate != nullptr) *sqlstate = SqlState(context);
  return status;
}

grpc::Status RouterClient::Topology(v1::Topology* topology) {
  grpc::ClientContext context;
  Prepare(context, std::chrono::seconds(5));
  return stub_->GetTopology(&context, v1::GetTopologyRequest(), topology);
}

std::vector<std::string> RouterStack::RouterArgs(
    const std::vector<std::string>& extra_flags) const {
  std::vector<std::string> args = {
      "--db-hosts=" + cluster->hosts(), "--db-password-file=" + cluster->password_file(),
      "--service-token-file=" + token_file, "--listen=127.0.0.1:" + std::to_string(port),
      "--metrics-listen=127.0.0.1:" + std::to_string(metrics_port)};
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  return args;
}

std::unique_ptr<RouterStack> RouterStack::Start(const std::vector<std::string>& extra_flags) {
  return StartOn(LocalCluster::Start(), extra_flags);
}

std::unique_ptr<RouterStack> RouterStack::StartOn(std::unique_ptr<LocalCluster> cluster,
                                                  const std::vector<std::string>& extra_flags) {
  if (cluster == nullptr) return nullptr;
  auto stack = std::make_unique<RouterStack>();
  stack->cluster = std::move(cluster);
  stack->token = RandomToken();
  stack->token_file = WriteSecretFile("service-token", stack->token);
  stack->port = FreePort();
  stack->metrics_port = FreePort();
  stack->router = ServiceProcess::Start("db-router", BinaryPath("services/db-router/db-router"),
                                        stack->RouterArgs(extra_flags), stack->port);
  if (stack->router == nullptr) return nullptr;
  return stack;
}

std::string Text(const v1::Value& value) {
  return value.kind_case() == v1::Value::kText ? value.text() : "<null>";
}

}  // namespace taskgres::testing
