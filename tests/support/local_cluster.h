// Test support: a private local PostgreSQL cluster (primary + 2 streaming replicas) started
// through `./taskgres cluster`, and a small RAII libpq connection for assertions.
//
// The repository root comes from the compile definition TASKGRES_SOURCE_DIR (a string literal).

#ifndef TASKGRES_TESTS_SUPPORT_LOCAL_CLUSTER_H_
#define TASKGRES_TESTS_SUPPORT_LOCAL_CLUSTER_H_

#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace taskgres::testing {

// Rows of a query result, each value as text (SQL NULL as "<null>").
using Rows = std::vector<std::vector<std::string>>;

// RAII owner of a PGconn.
class PgConnection {
 public:
  // Connects with `conninfo` (keyword/value or URI); connect_timeout=5 and statement_timeout=30 s
  // unless `conninfo` sets them. Check ok() afterwards.
  explicit PgConnection(const std::string& conninfo);
  ~PgConnection();

  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // True when the connection is established and usable.
  bool ok() const;
  // libpq's last error message for this connection (empty when none).
  std::string error() const;
  // The underlying connection (owned by this object; may be null after a failed allocation).
  PGconn* get() const;

  // Runs a statement with text parameters ($1, $2, ...); returns rows as strings (NULL as
  // "<null>", an empty vector for statements without rows). On error returns std::nullopt and
  // fills *error with "SQLSTATE: message" if given. Bounded by query_timeout() on the client
  // side too (statement_timeout does not cover a commit waiting for a synchronous standby):
  // past it the query is cancelled and reported as "57014: ...".
  std::optional<Rows> Query(const std::string& sql, const std::vector<std::string>& params = {},
                            std::string* error = nullptr) const;

  // Runs a query expected to return one value; std::nullopt on error or when there is no row.
  std::optional<std::string> Scalar(const std::string& sql,
                                    const std::vector<std::string>& params = {},
                                    std::string* error = nullptr) const;

  // Client-side limit of each Query (default 30 s).
  std::chrono::milliseconds query_timeout() const { return query_timeout_; }
  // Changes the client-side limit of each Query.
  void set_query_timeout(std::chrono::milliseconds timeout) { query_timeout_ = timeout; }

 private:
  // Waits until a result can be read without blocking; false on deadline or connection loss.
  bool AwaitResult(std::chrono::steady_clock::time_point deadline) const;

  PGconn* conn_;
  std::chrono::milliseconds query_timeout_{30000};
};

// A private three-node cluster in a fresh temporary state directory, torn down on destruction.
class LocalCluster {
 public:
  // Starts a private cluster (./taskgres cluster up) in a fresh temp state dir on three free
  // consecutive ports; aborts the test (ADD_FAILURE + returns nullptr) with the launcher's
  // output on failure. Retries once on other ports when a port turns out to be taken.
  static std::unique_ptr<LocalCluster> Start();
  // ./taskgres cluster down --purge, then removes the temp state dir.
  ~LocalCluster();

  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // TCP port of node `node` (0, 1 or 2) on 127.0.0.1.
  int port(int node) const;
  // "127.0.0.1:p0,127.0.0.1:p1,127.0.0.1:p2".
  std::string hosts() const;
  // The cluster's private TASKGRES_STATE_DIR.
  std::string state_dir() const;
  // Path of the file holding the application role's password.
  std::string password_file() const;
  // Connection string for the app role `taskgres` on database `taskgres` at node `node`.
  std::string conninfo(int node) const;
  // Connection string for the superuser `postgres` on database `postgres` at node `node`.
  std::string superuser_conninfo(int node) const;
  // The current primary as recorded in cluster.env (-1 when unreadable).
  int primary() const;
  // Nodes recorded in cluster.env as needing pg_rewind before they rejoin.
  std::vector<int> needs_rewind() const;
  // Wall-clock time `./taskgres cluster up` took when the cluster was started.
  std::chrono::milliseconds startup_time() const { return startup_time_; }

  // Runs `./taskgres cluster <args>` with this cluster's environment; returns the exit code
  // (128 + signal when killed) and the combined stdout/stderr in *output.
  int Run(const std::string& args, std::string* output = nullptr) const;

  // Runs `cluster failover`; EXPECTs success.
  void Failover();
  // Runs `cluster stop-node n`; EXPECTs success.
  void StopNode(int n);
  // Runs `cluster start-node n`; EXPECTs success.
  void StartNode(int n);

 private:
  LocalCluster(std::string state_dir, int base_port);

  // Reads KEY from cluster.env (quotes stripped); empty when absent.
  std::string EnvValue(const std::string& key) const;

  std::string state_dir_;
  int base_port_;
  std::chrono::milliseconds startup_time_{0};
};

// Polls until `condition` is true or `timeout` passes; returns the last result.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// Finds `count` consecutive free TCP ports on 127.0.0.1 (bind test), randomized base below the
// ephemeral range; returns the first port, or -1 when none was found.
int FindFreePorts(int count);

// Runs `<repo>/taskgres <args>` with TASKGRES_STATE_DIR and TASKGRES_PG_PORT set; returns the
// exit code and the combined output in *output. Killed after `timeout`.
int RunLauncher(const std::string& state_dir, int base_port, const std::string& args,
                std::string* output,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(180000));

}  // namespace taskgres::testing

#endif  // TASKGRES_TESTS_SUPPORT_LOCAL_CLUSTER_H_
