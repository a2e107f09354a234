// One pooled connection and the thread that drives it: takes every job queued
// for its pool, sends them in one libpq pipeline, and answers each caller, so
// a thread wake-up and a network round trip are paid per batch, not per job.
#ifndef TASKGRES_DB_ROUTER_POOL_CONNECTION_WORKER_H_
#define TASKGRES_DB_ROUTER_POOL_CONNECTION_WORKER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pg/pg_handles.h"
#include "pool/job.h"
#include "pool/prepared_cache.h"

namespace taskgres::router {

class NodePool;

class ConnectionWorker {
 public:
  explicit ConnectionWorker(NodePool& pool);
  ~ConnectionWorker();  // waits for the thread

  ConnectionWorker(const ConnectionWorker&) = delete;
  ConnectionWorker& operator=(const ConnectionWorker&) = delete;

  void Start();
  // True once the thread has left (idle retirement or stop).
  bool finished() const { return finished_.load(std::memory_order_acquire); }

  // How long the current round trip has taken so far (zero when idle).
  absl::Duration busy_for(absl::Time now) const;

 private:
  enum class StepKind { kPrepare, kGuard, kBegin, kStatement, kCommit, kLsn, kRollback, kSync };
  enum class UnitKind { kReadGroup, kWriteGroup, kTransaction, kLsn };
  struct Step {
    StepKind kind;
    int unit;
    int job = -1;           // index into batch_
    int statement = 0;      // within a transaction
    absl::string_view sql;  // for kPrepare: the text whose cache entry to drop on failure
  };
  struct Unit {
    UnitKind kind;
    std::vector<int> jobs;
    bool failed = false;  // some step failed: the implicit transaction rolled back
    uint64_t lsn = 0;     // kReadGroup guard or kLsn result
    bool has_lsn = false;
  };
  enum class JobState { kPending, kResult, kError, kAborted, kWaitLsn, kDone };
  struct BatchJob {
    std::unique_ptr<Job> job;
    JobState state = JobState::kPending;
    grpc::Status error;
    std::string sqlstate;
  };

  static void ReceiveNotice(void* self, const PGresult* notice);
  void Run();
  bool EnsureConnected();
  void Disconnect();

  // Sends the batch in one pipeline, reads every answer, answers each caller.
  // With `force_guard`, also asks a replica for its replay position.
  void ExecuteBatch(std::vector<std::unique_ptr<Job>>& jobs, bool force_guard);
  bool SendBatch(bool need_guard);
  bool SendCommand(StepKind kind, int unit, int job, int statement, const std::string& sql,
                   const google::protobuf::RepeatedPtrField<v1::Value>* params);
  bool SendSync(int unit);
  bool ReadResults();
  // Leaves the aborted transaction block a failed ExecuteTransaction leaves
  // behind. False when the connection cannot be brought back to idle.
  bool EndFailedTransaction();
  // After a lost connection: reads the commit LSN of confirmed writes on the
  // new connection when the old one died before answering it.
  bool ReadCommitLsnAgain();
  // Next result, waiting on the socket; cancels the running statement when its
  // caller's deadline passes. Sets lost_ and returns null when the connection fails.
  PgResultPtr NextResult(size_t step_index, bool* lost);
  void HandleResult(const Step& step, const PGresult* result);
  void ConcludeUnit(Unit& unit);
  void FinishCommitted();
  void HandleConnectionLoss(const std::string& why);

  void FailJob(BatchJob& entry, const PGresult* result);
  // True when a read ran on this replica before it had replayed the job's min_lsn.
  bool RanBehind(const Job& job, const Unit& unit) const;
  // True when the job's error shows it did not run (so it may run again here).
  bool RefusedUnrun(const BatchJob& entry) const;
  void FinishRead(BatchJob& entry);
  void Requeue(BatchJob& entry);
  // Parks a read until this replica has replayed its min_lsn (or lsn_wait passes).
  void WaitForReplay(BatchJob& entry);
  void MoveSatisfiedWaiters(std::vector<std::unique_ptr<Job>>& batch);
  void DropDeadJobs(std::vector<std::unique_ptr<Job>>& batch);

  NodePool& pool_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  std::atomic<int64_t> busy_since_us_{0};  // 0 when between round trips

  PgConnPtr conn_;
  PgCancelPtr cancel_;
  absl::Time connected_at_;
  PreparedCache prepared_;
  std::string last_connect_error_;

  // Per-batch state.
  std::vector<BatchJob> batch_;
  std::vector<Unit> units_;
  std::vector<Step> steps_;
  std::vector<int> committed_;                 // jobs whose transaction committed
  std::vector<std::unique_ptr<Job>> requeue_;  // to run again on this pool
  std::vector<const char*> param_values_;
  bool on_primary_ = false;
  uint64_t lsn_before_send_ = 0;
  absl::Time sent_at_;
  size_t cancelled_step_ = static_cast<size_t>(-1);
  absl::Time cancel_sent_at_;
  absl::Time batch_deadline_;    // the latest caller deadline in the batch
  bool commit_warning_ = false;  // the server sent a WARNING during this batch

  // Reads waiting for this replica to replay past their min_lsn.
  std::vector<std::unique_ptr<Job>> waiting_;
};

}  // namespace taskgres::router

#endif  // TASKGRES_DB_ROUTER_POOL_CONNECTION_WORKER_H_
