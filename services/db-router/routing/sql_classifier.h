// Decides, from SQL text alone, whether a statement may run on a replica and
// whether the pooled, pipelined execution model can run it at all.
#ifndef TASKGRES_DB_ROUTER_ROUTING_SQL_CLASSIFIER_H_
#define TASKGRES_DB_ROUTER_ROUTING_SQL_CLASSIFIER_H_

#include <string>

#include "absl/strings/string_view.h"

namespace taskgres::router {

enum class StatementKind {
  kRead,      // plainly a read: safe on a read-only replica
  kWrite,     // anything else; runs on the primary
  kRejected,  // cannot run through the router; see `reason`
};

struct Classification {
  StatementKind kind = StatementKind::kWrite;
  std::string reason;  // for kRejected: a message for the caller
};

// Where the statement will run.
enum class StatementContext {
  kSingle,       // Execute: its own implicit transaction on a shared connection
  kTransaction,  // one statement of ExecuteTransaction
};

// Conservative: only SELECT/VALUES/TABLE/SHOW/WITH/EXPLAIN without locking
// clauses, data-changing parts or known writing functions count as reads.
// Rejects empty text, several statements, transaction control and anything
// that would change session state on a pooled connection (SET, LISTEN, ...).
Classification ClassifyStatement(absl::string_view sql, StatementContext context);

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_ROUTING_SQL_CLASSIFIER_H_
