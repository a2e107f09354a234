#include "direct_scenarios.h"

#include <libpq-fe.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "router_scenarios.h"

namespace taskgres::bench {
namespace {

class DirectClient : public BlockingClient {
 public:
  DirectClient(PGconn* conn, DirectQuery query, int client)
      : conn_(conn), query_(query), client_(client) {}
  ~DirectClient() override { PQfinish(conn_); }

  bool RunOnce(std::string* error) override {
    PGresult* result = nullptr;
    if (query_ == DirectQuery::kPointReadSimple) {
      result = PQexec(
          conn_, absl::StrCat("SELECT id, payload FROM bench_items WHERE id = ", Row()).c_str());
    } else {
      const bool insert = query_ != DirectQuery::kPointRead;
      const std::string first = insert ? std::to_string(client_) : std::to_string(Row());
      const std::string second = std::to_string(++sequence_);
      const char* values[2] = {first.c_str(), second.c_str()};
      result = PQexecPrepared(conn_, "bench", insert ? 2 : 1, values, nullptr, nullptr, 0);
    }
    const ExecStatusType status = PQresultStatus(result);
    const bool ok = query_ == DirectQuery::kInsert
                        ? status == PGRES_COMMAND_OK
                        : status == PGRES_TUPLES_OK && PQntuples(result) == 1;
    if (!ok) *error = PQresultErrorMessage(result);
    PQclear(result);
    return ok;
  }

 private:
  int Row() { return std::uniform_int_distribution<int>(1, kBenchRows)(random_); }

  PGconn* conn_;
  DirectQuery query_;
  int client_;
  uint64_t sequence_ = 0;
  std::mt19937 random_{std::random_device{}()};
};

}  // namespace

std::unique_ptr<BlockingClient> NewDirectClient(const std::string& conninfo, DirectQuery query,
                                                int client) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    PQfinish(conn);
    return nullptr;
  }
  if (query != DirectQuery::kPointReadSimple) {
    const char* sql =
        query == DirectQuery::kInsert ? "INSERT INTO bench_writes (client, n) VALUES ($1, $2)"
        : query == DirectQuery::kInsertNotify
            ? "WITH written AS (INSERT INTO bench_writes (client, n) VALUES ($1, $2) RETURNING n) "
              "SELECT pg_notify('bench_writes', n::text) FROM written"
            : "SELECT id, payload FROM bench_items WHERE id = $1";
    PGresult* prepared = PQprepare(conn, "bench", sql, 0, nullptr);
    const bool ok = PQresultStatus(prepared) == PGRES_COMMAND_OK;
    PQclear(prepared);
    if (!ok) {
      PQfinish(conn);
      return nullptr;
    }
  }
  return std::make_unique<DirectClient>(conn, query, client);
}

}  // namespace taskgres::bench
