#include "db_router_service.h"

#include <chrono>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "listen/listen_reactor.h"
#include "pool/job.h"
#include "routing/sql_classifier.h"

namespace taskgres::router {
namespace {

// PostgreSQL's protocol carries at most 65535 parameters.
constexpr int kMaxParams = 65535;

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

// A message for the first unusable parameter, or empty.
std::string CheckParams(const google::protobuf::RepeatedPtrField<v1::Value>& params) {
  if (params.size() > kMaxParams)
    return absl::StrCat("at most ", kMaxParams, " parameters are allowed");
  for (int i = 0; i < params.size(); ++i) {
    if (params[i].kind_case() == v1::Value::kText &&
        params[i].text().find('\0') != std::string::npos) {
      return absl::StrCat("parameter $", i + 1,
                          " contains a NUL byte, which PostgreSQL text cannot hold");
    }
  }
  return "";
}

// The earlier of the call's deadline and timeout_ms from now.
absl::Time Deadline(const grpc::CallbackServerContext& context, uint32_t timeout_ms) {
  absl::Time deadline = absl::InfiniteFuture();
  const auto call_deadline = context.deadline();
  if (call_deadline < std::chrono::system_clock::now() + std::chrono::hours(24 * 365)) {
    deadline = absl::FromChrono(call_deadline);
  }
  if (timeout_ms > 0) deadline = std::min(deadline, absl::Now() + absl::Milliseconds(timeout_ms));
  return deadline;
}

// Wires a job to its call: cancellation check and the answer.
void BindToCall(Job& job, grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor) {
  job.is_cancelled = [context] { return context->IsCancelled(); };
  job.on_done = [context, reactor](const grpc::Status& status, absl::string_view sqlstate) {
    if (!sqlstate.empty()) context->AddTrailingMetadata("x-sqlstate", std::string(sqlstate));
    reactor->Finish(status);
  };
}

v1::NodeRole ToProto(NodeRole role) {
  switch (role) {
    case NodeRole::kPrimary:
      return v1::NODE_ROLE_PRIMARY;
    case NodeRole::kReplica:
      return v1::NODE_ROLE_REPLICA;
    case NodeRole::kUnknown:
      return v1::NODE_ROLE_UNKNOWN;
  }
  return v1::NODE_ROLE_UNKNOWN;
}

}  // namespace

grpc::ServerUnaryReactor* DbRouterService::Execute(grpc::CallbackServerContext* context,
                                                   const v1::ExecuteRequest* request,
                                                   v1::ExecuteResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status allowed = credential_.Check(*context); !allowed.ok()) {
    reactor->Finish(allowed);
    return reactor;
  }
  const Classification classification =
      ClassifyStatement(request->sql(), StatementContext::kSingle);
  if (classification.kind == StatementKind::kRejected) {
    reactor->Finish(Invalid(classification.reason));
    return reactor;
  }
  if (std::string problem = CheckParams(request->params()); !problem.empty()) {
    reactor->Finish(Invalid(problem));
    return reactor;
  }
  if (!v1::RowFormat_IsValid(request->row_format())) {
    reactor->Finish(Invalid(absl::StrCat("unknown row_format ", request->row_format())));
    return reactor;
  }
  auto job = std::make_unique<Job>();
  job->kind = JobKind::kStatement;
  job->statement = request;
  job->statement_response = response;
  switch (request->intent()) {
    case v1::INTENT_READ:
      job->write = false;
      break;
    case v1::INTENT_WRITE:
      job->write = true;
      break;
    default:
      job->write = classification.kind != StatementKind::kRead;
      job->auto_intent = true;
      break;
  }
  job->min_lsn = request->consistency().min_lsn();
  job->max_lag_ms = request->consistency().max_lag_ms();
  job->deadline = Deadline(*context, request->timeout_ms());
  BindToCall(*job, context, reactor);
  router_.Submit(std::move(job));
  return reactor;
}

grpc::ServerUnaryReactor* DbRouterService::ExecuteTransaction(
    grpc::CallbackServerContext* context, const v1::ExecuteTransactionRequest* request,
    v1::ExecuteTransactionResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status allowed = credential_.Check(*context); !allowed.ok()) {
    reactor->Finish(allowed);
    return reactor;
  }
  if (request->statements().empty()) {
    reactor->Finish(Invalid("the transaction has no statements"));
    return reactor;
  }
  for (int i = 0; i < request->statements_size(); ++i) {
    const v1::Statement& statement = request->statements(i);
    const Classification classification =
        ClassifyStatement(statement.sql(), StatementContext::kTransaction);
    std::string problem = classification.kind == StatementKind::kRejected
                              ? classification.reason
                              : CheckParams(statement.params());
    if (!problem.empty()) {
      reactor->Finish(Invalid(absl::StrCat("statement ", i + 1, ": ", problem)));
      return reactor;
    }
  }
  auto job = std::make_unique<Job>();
  job->kind = JobKind::kTransaction;
  job->transaction = request;
  job->transaction_response = response;
  job->write = true;
  job->deadline = Deadline(*context, request->timeout_ms());
  BindToCall(*job, context, reactor);
  router_.Submit(std::move(job));
  return reactor;
}

grpc::ServerWriteReactor<v1::ListenEvent>* DbRouterService::Listen(
    grpc::CallbackServerContext* context, const v1::ListenRequest* request) {
  grpc::Status problem = credential_.Check(*context);
  if (problem.ok() && !NotificationHub::ValidChannel(request->channel())) {
    problem = Invalid(
        "the channel must be a plain identifier: lower-case letters, digits and '_', "
        "not starting with a digit, at most 63 characters");
  }
  if (!problem.ok()) {
    // A reactor that only reports the error.
    class Refusal : public grpc::ServerWriteReactor<v1::ListenEvent> {
     public:
      explicit Refusal(const grpc::Status& status) { Finish(status); }
      void OnDone() override { delete this; }
    };
    return new Refusal(problem);
  }
  // Owned by gRPC until OnDone, where it deletes itself.
  return new ListenReactor(hub_, request->channel(), listen_buffer_, streams_);
}

grpc::ServerUnaryReactor* DbRouterService::GetTopology(grpc::CallbackServerContext* context,
                                                       const v1::GetTopologyRequest* /*request*/,
                                                       v1::Topology* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status allowed = credential_.Check(*context); !allowed.ok()) {
    reactor->Finish(allowed);
    return reactor;
  }
  std::shared_ptr<const Topology> topology = monitor_.Current();
  for (const NodeView& view : topology->nodes) {
    v1::NodeStatus* node = response->add_nodes();
    node->set_name(view.node->name());
    node->set_role(ToProto(view.role));
    node->set_healthy(view.healthy && !view.node->suspect());
    node->set_replay_lsn(view.lsn);
    node->set_lag_bytes(view.lag_bytes);
    node->set_lag_seconds(view.lag_seconds);
    node->set_in_flight(view.node->in_flight());
    node->set_probe_rtt_ms(absl::ToDoubleMilliseconds(view.probe_rtt));
    node->set_problem(view.problem);
  }
  if (Node* primary = topology->primary_node()) response->set_primary(primary->name());
  response->set_primary_changes(topology->primary_changes);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace taskgres::router
