#include "pg/pg_connect.h"

#include <poll.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace taskgres::router {

std::string PgErrorMessage(const PGconn* conn) {
  if (conn == nullptr) return "out of memory";
  std::string message = PQerrorMessage(conn);
  absl::StripTrailingAsciiWhitespace(&message);
  return absl::StrReplaceAll(message, {{"\n", " "}, {"\t", " "}});
}

bool WaitForSocket(int fd, bool want_read, bool want_write, absl::Time deadline) {
  pollfd pfd{fd, static_cast<short>((want_read ? POLLIN : 0) | (want_write ? POLLOUT : 0)), 0};
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    const int ms = static_cast<int>(absl::ToInt64Milliseconds(left + absl::Microseconds(999)));
    const int ready = poll(&pfd, 1, ms);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;  // let libpq report the socket error
  }
}

PgConnPtr StartConnect(const ConnectTarget& target, const SessionOptions& session) {
  const std::string port = std::to_string(target.port);
  std::string options =
      absl::StrCat("-c statement_timeout=", absl::ToInt64Milliseconds(session.statement_timeout));
  if (session.read_only) absl::StrAppend(&options, " -c default_transaction_read_only=on");
  // Keyword/value arrays: no quoting of passwords or names can go wrong.
  std::vector<const char*> keys = {"host",
                                   "port",
                                   "dbname",
                                   "user",
                                   "password",
                                   "sslmode",
                                   "application_name",
                                   "options",
                                   "client_encoding",
                                   "keepalives",
                                   "keepalives_idle",
                                   "keepalives_interval",
                                   "keepalives_count",
                                   "tcp_user_timeout"};
  std::vector<const char*> values = {target.host.c_str(), port.c_str(), target.dbname.c_str(),
                                     target.user.c_str(), target.password.c_str(),
                                     target.sslmode.c_str(), target.application_name.c_str(),
                                     options.c_str(), "UTF8", "1", "10", "5", "3",
                                     // Unacknowledged sends fail after 10 s (a partitioned
                                     // host), so no blocking libpq call hangs for minutes.
                                     "10000"};
  if (!target.hostaddr.empty()) {
    keys.push_back("hostaddr");
    values.push_back(target.hostaddr.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return PgConnPtr(PQconnectStartParams(keys.data(), values.data(), 0));
}

absl::StatusOr<PgConnPtr> ConnectWithTimeout(const ConnectTarget& target,
                                             const SessionOptions& session,
                                             absl::Duration timeout) {
  const std::string where = absl::StrCat(target.host, ":", target.port);
  PgConnPtr conn = StartConnect(target, session);
  if (conn == nullptr) return absl::ResourceExhaustedError("out of memory opening a connection");
  if (PQstatus(conn.get()) == CONNECTION_BAD) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", where, ": ", PgErrorMessage(conn.get())));
  }
  const absl::Time deadline = absl::Now() + timeout;
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", where, ": ", PgErrorMessage(conn.get())));
    }
    if (!WaitForSocket(PQsocket(conn.get()), state == PGRES_POLLING_READING,
                       state == PGRES_POLLING_WRITING, deadline)) {
      return absl::UnavailableError(absl::StrCat("cannot connect to ", where, ": no answer within ",
                                                 absl::FormatDuration(timeout)));
    }
    state = PQconnectPoll(conn.get());
  }
  if (PQsetnonblocking(conn.get(), 1) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot make the connection to ", where, " non-blocking"));
  }
  return conn;
}

}  // namespace taskgres::router
