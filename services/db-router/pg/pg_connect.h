// Opening libpq connections with a hard time limit.
#ifndef TASKGRES_DB_ROUTER_PG_PG_CONNECT_H_
#define TASKGRES_DB_ROUTER_PG_PG_CONNECT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pg/pg_handles.h"

namespace taskgres::router {

// Where and as whom to connect.
struct ConnectTarget {
  std::string host;      // name, for TLS verification and messages
  std::string hostaddr;  // resolved IP address actually dialled
  int port = 5432;
  std::string dbname;
  std::string user;
  std::string password;
  std::string sslmode = "prefer";
  std::string application_name = "taskgres-db-router";
};

// Session settings applied at connect time.
struct SessionOptions {
  // Every transaction on the connection is read-only (for reads, so a write
  // sent as a read fails instead of committing on a freshly promoted node).
  bool read_only = false;
  // Server-side safety net for statements whose caller set no deadline.
  absl::Duration statement_timeout = absl::Seconds(30);
};

// Starts a non-blocking connection attempt (PQconnectStartParams); drive it
// with PQconnectPoll. Null only when out of memory.
PgConnPtr StartConnect(const ConnectTarget& target, const SessionOptions& session);

// Connects without blocking longer than `timeout` (DNS excluded: the target
// is an address). UNAVAILABLE with libpq's message on failure. The returned
// connection is in non-blocking mode.
absl::StatusOr<PgConnPtr> ConnectWithTimeout(const ConnectTarget& target,
                                             const SessionOptions& session, absl::Duration timeout);

// Waits until `fd` is readable (and writable, when `want_write`) or `deadline`
// passes. Returns false on timeout.
bool WaitForSocket(int fd, bool want_read, bool want_write, absl::Time deadline);

// libpq's last error as one line.
std::string PgErrorMessage(const PGconn* conn);

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_PG_PG_CONNECT_H_
