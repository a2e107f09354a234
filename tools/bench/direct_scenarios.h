// Scenarios straight to PostgreSQL with libpq (the limit) and through
// pgpool-II (what users would put in front instead), one connection and one
// thread per client, as pgbench does.
#ifndef TASKGRES_TOOLS_BENCH_DIRECT_SCENARIOS_H_
#define TASKGRES_TOOLS_BENCH_DIRECT_SCENARIOS_H_

#include <memory>
#include <string>

#include "load_driver.h"

namespace taskgres::bench {

enum class DirectQuery {
  kPointRead,        // prepared SELECT by primary key (extended protocol)
  kPointReadSimple,  // the same with the value inlined (simple protocol)
  kInsert,           // prepared single-row INSERT
  kInsertNotify,     // the same plus pg_notify, as every task write does through its trigger
};

// A client on its own connection to `conninfo`; null when it cannot connect.
std::unique_ptr<BlockingClient> NewDirectClient(const std::string& conninfo, DirectQuery query,
                                                int client);

}  // namespace taskgres::bench

#endif  // TASKGRES_TOOLS_BENCH_DIRECT_SCENARIOS_H_
