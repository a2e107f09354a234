#include "router_scenarios.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace taskgres::bench {
namespace {

int RandomRow() {
  thread_local std::mt19937 random(std::random_device{}());
  return std::uniform_int_distribution<int>(1, kBenchRows)(random);
}

v1::ExecuteRequest Request(const char* sql, v1::Intent intent,
                           std::initializer_list<std::string> params) {
  v1::ExecuteRequest request;
  request.set_sql(sql);
  request.set_intent(intent);
  for (const std::string& param : params) request.add_params()->set_text(param);
  return request;
}

grpc::Status RunSync(v1::DbRouter::Stub& stub, const std::string& authorization,
                     const v1::ExecuteRequest& request, v1::ExecuteResponse* response) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", authorization);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return stub.Execute(&context, request, response);
}

}  // namespace

RouterCaller::RouterCaller(const Targets& targets)
    : authorization_(absl::StrCat("Bearer ", targets.service_token)),
      stub_(v1::DbRouter::NewStub(
          grpc::CreateChannel(targets.router, grpc::InsecureChannelCredentials()))) {}

void RouterCaller::Execute(
    const v1::ExecuteRequest& request,
    absl::AnyInvocable<void(const grpc::Status&, const v1::ExecuteResponse&)> done) {
  struct Call {
    grpc::ClientContext context;
    v1::ExecuteRequest request;
    v1::ExecuteResponse response;
    absl::AnyInvocable<void(const grpc::Status&, const v1::ExecuteResponse&)> done;
  };
  auto call = std::make_unique<Call>();
  call->context.AddMetadata("authorization", authorization_);
  call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  call->request = request;
  call->done = std::move(done);
  Call* raw = call.release();  // owned by the completion
  stub_->async()->Execute(&raw->context, &raw->request, &raw->response,
                          [raw](const grpc::Status& status) {
                            // Free the call before answering: the answer may end the run and
                            // destroy the stub.
                            std::unique_ptr<Call> owned(raw);
                            auto done = std::move(owned->done);
                            v1::ExecuteResponse response = std::move(owned->response);
                            owned.reset();
                            done(status, response);
                          });
}

void RouterCaller::Topology(absl::AnyInvocable<void(const grpc::Status&)> done) {
  struct Call {
    grpc::ClientContext context;
    v1::GetTopologyRequest request;
    v1::Topology response;
    absl::AnyInvocable<void(const grpc::Status&)> done;
  };
  auto call = std::make_unique<Call>();
  call->context.AddMetadata("authorization", authorization_);
  call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  call->done = std::move(done);
  Call* raw = call.release();  // owned by the completion
  stub_->async()->GetTopology(&raw->context, &raw->request, &raw->response,
                              [raw](const grpc::Status& status) {
                                std::unique_ptr<Call> owned(raw);
                                auto done = std::move(owned->done);
                                owned.reset();  // before answering, which may end the run
                                done(status);
                              });
}

void RouterPing::Issue(int /*client*/, Done done) {
  caller_.Topology([done = std::move(done)](const grpc::Status& status) mutable {
    done(status.ok(), status.error_message());
  });
}

absl::Status PrepareBenchTables(const Targets& targets) {
  auto stub = v1::DbRouter::NewStub(
      grpc::CreateChannel(targets.router, grpc::InsecureChannelCredentials()));
  const std::string authorization = absl::StrCat("Bearer ", targets.service_token);
  v1::ExecuteResponse response;
  for (const char* sql :
       {"CREATE TABLE IF NOT EXISTS bench_items (id integer PRIMARY KEY, payload text NOT NULL)",
        "CREATE TABLE IF NOT EXISTS bench_writes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY "
        "KEY, "
        "client integer NOT NULL, n bigint NOT NULL, at timestamptz NOT NULL DEFAULT now())"}) {
    grpc::Status status =
        RunSync(*stub, authorization, Request(sql, v1::INTENT_WRITE, {}), &response);
    if (!status.ok())
      return absl::UnavailableError(
          absl::StrCat("preparing bench tables: ", status.error_message()));
  }
  grpc::Status status = RunSync(
      *stub, authorization,
      Request("INSERT INTO bench_items SELECT g, md5(g::text) FROM generate_series(1, $1::int) g "
              "ON CONFLICT (id) DO NOTHING",
              v1::INTENT_WRITE, {std::to_string(kBenchRows)}),
      &response);
  if (!status.ok())
    return absl::UnavailableError(absl::StrCat("filling bench_items: ", status.error_message()));
  // Wait until a replica serves the last row.
  v1::ExecuteRequest check = Request("SELECT payload FROM bench_items WHERE id = $1",
                                     v1::INTENT_READ, {std::to_string(kBenchRows)});
  check.mutable_consistency()->set_min_lsn(response.commit_lsn());
  return RunSync(*stub, authorization, check, &response).ok()
             ? absl::OkStatus()
             : absl::UnavailableError("replicas did not catch up");
}

std::unique_ptr<BlockingClient> NewBlockingRouterReader(const Targets& targets) {
  class Reader : public BlockingClient {
   public:
    explicit Reader(const Targets& targets)
        : authorization_(absl::StrCat("Bearer ", targets.service_token)),
          stub_(v1::DbRouter::NewStub(
              grpc::CreateChannel(targets.router, grpc::InsecureChannelCredentials()))) {}
    bool RunOnce(std::string* error) override {
      v1::ExecuteResponse response;
      grpc::Status status = RunSync(*stub_, authorization_,
                                    Request("SELECT id, payload FROM bench_items WHERE id = $1",
                                            v1::INTENT_READ, {std::to_string(RandomRow())}),
                                    &response);
      if (!status.ok()) *error = status.error_message();
      return status.ok() && response.rows_size() == 1;
    }

   private:
    std::string authorization_;
    std::unique_ptr<v1::DbRouter::Stub> stub_;
  };
  return std::make_unique<Reader>(targets);
}

void RouterRead::Issue(int /*client*/, Done done) {
  caller_.Execute(Request("SELECT id, payload FROM bench_items WHERE id = $1", v1::INTENT_READ,
                          {std::to_string(RandomRow())}),
                  [done = std::move(done)](const grpc::Status& status,
                                           const v1::ExecuteResponse& response) mutable {
                    done(status.ok() && response.rows_size() == 1, status.error_message());
                  });
}

void RouterWrite::Issue(int client, Done done) {
  caller_.Execute(Request("INSERT INTO bench_writes (client, n) VALUES ($1, $2)", v1::INTENT_WRITE,
                          {std::to_string(client), std::to_string(sequence_.fetch_add(1))}),
                  [done = std::move(done)](const grpc::Status& status,
                                           const v1::ExecuteResponse& response) mutable {
                    done(status.ok() && response.rows_affected() == 1, status.error_message());
                  });
}

void RouterReadYourWrites::Issue(int client, Done done) {
  caller_.Execute(
      Request("INSERT INTO bench_writes (client, n) VALUES ($1, 0) RETURNING id", v1::INTENT_WRITE,
              {std::to_string(client)}),
      [this, done = std::move(done)](const grpc::Status& status,
                                     const v1::ExecuteResponse& written) mutable {
        if (!status.ok() || written.rows_size() != 1) {
          done(false, status.error_message());
          return;
        }
        v1::ExecuteRequest read = Request("SELECT client FROM bench_writes WHERE id = $1",
                                          v1::INTENT_READ, {written.rows(0).values(0).text()});
        read.mutable_consistency()->set_min_lsn(written.commit_lsn());
        caller_.Execute(
            read, [this, done = std::move(done)](const grpc::Status& status,
                                                 const v1::ExecuteResponse& response) mutable {
              ++reads_;
              if (status.ok() && response.served_by().role() == v1::NODE_ROLE_REPLICA)
                ++from_replica_;
              if (status.ok() && response.rows_size() != 1) ++stale_;
              done(status.ok() && response.rows_size() == 1, status.error_message());
            });
      });
}

std::string RouterReadYourWrites::Note() const {
  const std::map<std::string, double> figures = Figures();
  return absl::StrFormat("reads from replicas %.1f%%, stale %.0f",
                         100.0 * figures.at("replica_share"), figures.at("stale_reads"));
}

std::map<std::string, double> RouterReadYourWrites::Figures() const {
  const double reads = static_cast<double>(std::max<uint64_t>(1, reads_.load()));
  return {{"replica_share", static_cast<double>(from_replica_.load()) / reads},
          {"stale_reads", static_cast<double>(stale_.load())}};
}

}  // namespace taskgres::bench
