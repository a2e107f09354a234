// RAII owners for libpq handles.
#ifndef TASKGRES_DB_ROUTER_PG_PG_HANDLES_H_
#define TASKGRES_DB_ROUTER_PG_PG_HANDLES_H_

#include <libpq-fe.h>

#include <memory>

namespace taskgres::router {

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
struct PgCancelDeleter {
  void operator()(PGcancel* cancel) const { PQfreeCancel(cancel); }
};
struct PgNotifyDeleter {
  void operator()(PGnotify* notify) const { PQfreemem(notify); }
};

using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;
using PgCancelPtr = std::unique_ptr<PGcancel, PgCancelDeleter>;
using PgNotifyPtr = std::unique_ptr<PGnotify, PgNotifyDeleter>;

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_PG_PG_HANDLES_H_
