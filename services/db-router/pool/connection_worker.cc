#include "pool/connection_worker.h"

#include <poll.h>
#include <pthread.h>

#include <algorithm>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "logging/json_log.h"
#include "pg/pg_connect.h"
#include "pg/result_conversion.h"
#include "pg/sqlstate_status.h"
#include "pool/job_sink.h"
#include "pool/node_pool.h"
#include "router_metrics.h"
#include "topology/node.h"

namespace taskgres::router {
namespace {

// The replay position of a replica (the write position of a primary).
constexpr char kGuardSql[] =
    "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
    "ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::text";
// Read after a group of writes committed: at or past every commit in the group.
constexpr char kCommitLsnSql[] = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::text";
constexpr char kBeginSql[] = "BEGIN";
constexpr char kCommitSql[] = "COMMIT";
constexpr char kRollbackSql[] = "ROLLBACK";
// "current transaction is aborted": the statement was refused without running.
constexpr char kInFailedTransaction[] = "25P02";
// "cannot execute ... in a read-only transaction".
constexpr char kReadOnlyTransaction[] = "25006";
constexpr char kPreparedMissing[] = "26000";
constexpr char kFeatureNotSupported[] = "0A000";  // e.g. "cached plan must not change result type"
constexpr char kQueryCanceled[] = "57014";
// A job stopped by a cancel meant for another is run again at most this often.
constexpr int kMaxRequeues = 3;

// How often a worker with waiting readers asks its replica how far it got.
constexpr absl::Duration kLsnPollInterval = absl::Milliseconds(1);
// Longest sleep in one socket wait, so cancellations are noticed promptly.
constexpr absl::Duration kMaxSocketWait = absl::Milliseconds(50);
// After cancelling, how long to wait for the server before dropping the connection.
constexpr absl::Duration kCancelGrace = absl::Seconds(5);
// A job pushed back this many times runs in a transaction of its own.
constexpr int kSoloAfterAttempts = 2;

bool ParseLsnResult(const PGresult* result, uint64_t* lsn) {
  if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) != 1 ||
      PQgetisnull(result, 0, 0)) {
    return false;
  }
  return absl::SimpleAtoi(PQgetvalue(result, 0, 0), lsn);
}

}  // namespace

ConnectionWorker::ConnectionWorker(NodePool& pool)
    : pool_(pool), prepared_(pool.settings().prepared_cache_size) {}

ConnectionWorker::~ConnectionWorker() {
  if (thread_.joinable()) thread_.join();
}

void ConnectionWorker::Start() {
  thread_ = std::thread([this] {
    // "rd" or "wr" and the node's port, e.g. "pool-rd-55433", for top and perf.
    const std::string& name = pool_.node().name();
    const std::string thread_name = absl::StrCat(
        "pool-", pool_.mode() == PoolMode::kRead ? "rd-" : "wr-", name.substr(name.rfind(':') + 1));
    pthread_setname_np(pthread_self(), thread_name.substr(0, 15).c_str());
    Run();
  });
}

void ConnectionWorker::ReceiveNotice(void* self, const PGresult* notice) {
  // Instead of libpq's default (printing to stderr). A WARNING after a cancel
  // may be "canceling wait for synchronous replication" (matched by severity:
  // the text is translated): the commit then stands only on the primary.
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity != nullptr && std::string_view(severity) == "WARNING") {
    static_cast<ConnectionWorker*>(self)->commit_warning_ = true;
  }
}

absl::Duration ConnectionWorker::busy_for(absl::Time now) const {
  const int64_t since = busy_since_us_.load(std::memory_order_relaxed);
  return since == 0 ? absl::ZeroDuration() : now - absl::FromUnixMicros(since);
}

void ConnectionWorker::Run() {
  const PoolSettings& settings = pool_.settings();
  while (true) {
    std::vector<std::unique_ptr<Job>> batch =
        pool_.TakeBatch(waiting_.empty() ? settings.idle_timeout : kLsnPollInterval);
    if (pool_.stopping()) {
      const grpc::Status stopping(grpc::StatusCode::UNAVAILABLE, "the router is shutting down");
      for (auto& job : batch)
        pool_.sink().Reroute(std::move(job), RerouteCause::kNodeFailed, stopping);
      for (auto& job : waiting_)
        pool_.sink().Reroute(std::move(job), RerouteCause::kNodeFailed, stopping);
      waiting_.clear();
      break;
    }
    const bool had_waiters = !waiting_.empty();
    MoveSatisfiedWaiters(batch);
    DropDeadJobs(batch);
    if (batch.empty() && waiting_.empty()) {
      if (had_waiters) continue;
      if (pool_.RetireIfIdle()) break;
      continue;
    }
    if (!EnsureConnected()) {
      pool_.node().MarkSuspect();
      const grpc::Status down(grpc::StatusCode::UNAVAILABLE, last_connect_error_);
      for (auto& job : batch) pool_.sink().Reroute(std::move(job), RerouteCause::kNodeFailed, down);
      for (auto& job : waiting_)
        pool_.sink().Reroute(std::move(job), RerouteCause::kNodeFailed, down);
      waiting_.clear();
      pool_.DrainQueue(RerouteCause::kNodeFailed, down);
      continue;
    }
    ExecuteBatch(batch, /*force_guard=*/!waiting_.empty());
  }
  Disconnect();
  finished_.store(true, std::memory_order_release);
}

bool ConnectionWorker::EnsureConnected() {
  const PoolSettings& settings = pool_.settings();
  if (conn_ != nullptr && PQstatus(conn_.get()) == CONNECTION_OK &&
      absl::Now() - connected_at_ < settings.max_lifetime) {
    return true;
  }
  Disconnect();
  SessionOptions session;
  session.read_only = pool_.mode() == PoolMode::kRead;
  session.statement_timeout = settings.statement_timeout;
  absl::StatusOr<PgConnPtr> conn =
      ConnectWithTimeout(pool_.node().target(), session, settings.connect_timeout);
  if (!conn.ok()) {
    last_connect_error_ = std::string(conn.status().message());
    return false;
  }
  if (PQenterPipelineMode(conn->get()) != 1) {
    last_connect_error_ = absl::StrCat("cannot enter pipeline mode on ", pool_.node().name());
    return false;
  }
  conn_ = std::move(*conn);
  PQsetNoticeReceiver(conn_.get(), &ConnectionWorker::ReceiveNotice, this);
  cancel_.reset(PQgetCancel(conn_.get()));
  connected_at_ = absl::Now();
  prepared_.Clear();
  pool_.CountConnection(1);
  return true;
}

void ConnectionWorker::Disconnect() {
  if (conn_ == nullptr) return;
  cancel_.reset();
  conn_.reset();
  prepared_.Clear();
  pool_.CountConnection(-1);
}

void ConnectionWorker::MoveSatisfiedWaiters(std::vector<std::unique_ptr<Job>>& batch) {
  if (waiting_.empty()) return;
  const uint64_t replayed = pool_.node().lsn();
  const bool primary = pool_.node().writable();
  const absl::Time now = absl::Now();
  std::vector<std::unique_ptr<Job>> still_waiting;
  for (auto& job : waiting_) {
    if (primary || job->min_lsn <= replayed) {
      batch.push_back(std::move(job));
    } else if (now >= job->lsn_wait_until || job->Expired(now) || job->Cancelled()) {
      pool_.sink().Reroute(std::move(job), RerouteCause::kMinLsnTimeout,
                           grpc::Status(grpc::StatusCode::UNAVAILABLE, "replica did not catch up"));
    } else {
      still_waiting.push_back(std::move(job));
    }
  }
  waiting_.swap(still_waiting);
}

void ConnectionWorker::DropDeadJobs(std::vector<std::unique_ptr<Job>>& batch) {
  const absl::Time now = absl::Now();
  std::erase_if(batch, [now](std::unique_ptr<Job>& job) {
    if (job->Cancelled()) {
      job->Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                               "the caller cancelled before the statement ran"));
      return true;
    }
    if (job->Expired(now)) {
      job->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                               "the deadline passed while the statement waited for a connection"));
      return true;
    }
    return false;
  });
}

void ConnectionWorker::ExecuteBatch(std::vector<std::unique_ptr<Job>>& jobs, bool force_guard) {
  Node& node = pool_.node();
  on_primary_ = node.writable();
  if (pool_.mode() == PoolMode::kWrite && !on_primary_) {
    // Fenced: this node is not (or no longer) the one primary. Nothing was sent.
    const grpc::Status fenced(grpc::StatusCode::UNAVAILABLE,
                              absl::StrCat(node.name(), " is no longer the primary"));
    for (auto& job : jobs) pool_.sink().Reroute(std::move(job), RerouteCause::kNotPrimary, fenced);
    jobs.clear();
    return;
  }
  batch_.clear();
  units_.clear();
  steps_.clear();
  committed_.clear();
  cancelled_step_ = static_cast<size_t>(-1);
  commit_warning_ = false;
  batch_deadline_ = absl::InfinitePast();
  for (auto& job : jobs) {
    batch_deadline_ = std::max(batch_deadline_, job->deadline);
    BatchJob entry;
    entry.job = std::move(job);
    batch_.push_back(std::move(entry));
  }
  jobs.clear();

  // Replay positions only grow: what was known before sending held for the read.
  lsn_before_send_ = node.lsn();
  bool need_guard = false;
  if (pool_.mode() == PoolMode::kRead && !on_primary_) {
    need_guard = force_guard;
    for (const BatchJob& entry : batch_) need_guard |= entry.job->min_lsn > lsn_before_send_;
  }

  pool_.metrics().ObserveBatch(static_cast<double>(batch_.size()));
  busy_since_us_.store(absl::ToUnixMicros(absl::Now()), std::memory_order_relaxed);
  const bool sent = SendBatch(need_guard);
  const bool answered = sent && ReadResults() && EndFailedTransaction();
  busy_since_us_.store(0, std::memory_order_relaxed);
  if (!answered) {
    HandleConnectionLoss(
        sent ? PgErrorMessage(conn_.get())
             : absl::StrCat("cannot send to ", node.name(), ": ", PgErrorMessage(conn_.get())));
    return;
  }
  FinishCommitted();
  pool_.Requeue(requeue_);
}

bool ConnectionWorker::SendCommand(StepKind kind, int unit, int job, int statement,
                                   const std::string& sql,
                                   const google::protobuf::RepeatedPtrField<v1::Value>* params) {
  PGconn* conn = conn_.get();
  param_values_.clear();
  if (params != nullptr) {
    for (const v1::Value& value : *params) {
      param_values_.push_back(value.kind_case() == v1::Value::kText ? value.text().c_str()
                                                                    : nullptr);
    }
  }
  const int n = static_cast<int>(param_values_.size());
  const std::string* name = prepared_.Find(sql);
  if (name == nullptr && (name = prepared_.Add(sql)) != nullptr) {
    if (PQsendPrepare(conn, name->c_str(), sql.c_str(), 0, nullptr) != 1) return false;
    steps_.push_back({StepKind::kPrepare, unit, job, statement, sql});
  }
  const int ok = name != nullptr ? PQsendQueryPrepared(conn, name->c_str(), n, param_values_.data(),
                                                       nullptr, nullptr, 0)
                                 : PQsendQueryParams(conn, sql.c_str(), n, nullptr,
                                                     param_values_.data(), nullptr, nullptr, 0);
  if (ok != 1) return false;
  steps_.push_back({kind, unit, job, statement, {}});
  return true;
}

bool ConnectionWorker::SendSync(int unit) {
  if (PQpipelineSync(conn_.get()) != 1) return false;
  steps_.push_back({StepKind::kSync, unit, -1, 0, {}});
  return true;
}

bool ConnectionWorker::SendBatch(bool need_guard) {
  static const std::string guard_sql = kGuardSql;
  static const std::string lsn_sql = kCommitLsnSql;
  static const std::string begin_sql = kBeginSql;
  static const std::string commit_sql = kCommitSql;
  const bool write_mode = pool_.mode() == PoolMode::kWrite;

  // Plain statements share one implicit transaction (one commit for the group
  // on the primary); transactions and solo jobs get units of their own.
  std::vector<int> grouped;
  std::vector<int> alone;
  for (int i = 0; i < static_cast<int>(batch_.size()); ++i) {
    const Job& job = *batch_[i].job;
    (job.kind == JobKind::kStatement && !job.solo ? grouped : alone).push_back(i);
  }
  if (!grouped.empty() || need_guard) {
    const int unit = static_cast<int>(units_.size());
    units_.push_back({write_mode ? UnitKind::kWriteGroup : UnitKind::kReadGroup, grouped});
    if (need_guard && !write_mode &&
        !SendCommand(StepKind::kGuard, unit, -1, 0, guard_sql, nullptr)) {
      return false;
    }
    for (int i : grouped) {
      const v1::ExecuteRequest& request = *batch_[i].job->statement;
      if (!SendCommand(StepKind::kStatement, unit, i, 0, request.sql(), &request.params()))
        return false;
    }
    if (!SendSync(unit)) return false;
  }
  for (int i : alone) {
    const int unit = static_cast<int>(units_.size());
    const Job& job = *batch_[i].job;
    if (job.kind == JobKind::kStatement) {
      units_.push_back({write_mode ? UnitKind::kWriteGroup : UnitKind::kReadGroup, {i}});
      if (!SendCommand(StepKind::kStatement, unit, i, 0, job.statement->sql(),
                       &job.statement->params())) {
        return false;
      }
    } else {
      units_.push_back({UnitKind::kTransaction, {i}});
      if (!SendCommand(StepKind::kBegin, unit, i, 0, begin_sql, nullptr)) return false;
      for (int s = 0; s < job.transaction->statements_size(); ++s) {
        const v1::Statement& statement = job.transaction->statements(s);
        if (!SendCommand(StepKind::kStatement, unit, i, s, statement.sql(), &statement.params()))
          return false;
      }
      if (!SendCommand(StepKind::kCommit, unit, i, 0, commit_sql, nullptr)) return false;
    }
    if (!SendSync(unit)) return false;
  }
  if (write_mode && !batch_.empty()) {
    const int unit = static_cast<int>(units_.size());
    units_.push_back({UnitKind::kLsn, {}});
    if (!SendCommand(StepKind::kLsn, unit, -1, 0, lsn_sql, nullptr) || !SendSync(unit))
      return false;
  }
  sent_at_ = absl::Now();
  return PQflush(conn_.get()) >= 0;
}

bool ConnectionWorker::ReadCommitLsnAgain() {
  static const std::string lsn_sql = kCommitLsnSql;
  for (const Unit& unit : units_) {
    if (unit.kind == UnitKind::kLsn && unit.has_lsn) return true;
  }
  steps_.clear();
  const int unit = static_cast<int>(units_.size());
  units_.push_back({UnitKind::kLsn, {}});
  return SendCommand(StepKind::kLsn, unit, -1, 0, lsn_sql, nullptr) && SendSync(unit) &&
         PQflush(conn_.get()) >= 0 && ReadResults() && units_.back().has_lsn;
}

bool ConnectionWorker::EndFailedTransaction() {
  static const std::string rollback_sql = kRollbackSql;
  static const std::string lsn_sql = kCommitLsnSql;
  const PGTransactionStatusType state = PQtransactionStatus(conn_.get());
  if (state == PQTRANS_IDLE) return true;
  if (state != PQTRANS_INERROR && state != PQTRANS_INTRANS) return false;  // confused: drop it
  // A Sync ends an implicit transaction but not a failed BEGIN block: the
  // session stays aborted and every later unit of the batch was refused with
  // 25P02 (those jobs are requeued). Roll back, and re-read the commit LSN,
  // which the refused LSN unit could not.
  steps_.clear();
  const int unit = static_cast<int>(units_.size());
  units_.push_back({UnitKind::kLsn, {}});
  if (!SendCommand(StepKind::kRollback, unit, -1, 0, rollback_sql, nullptr)) return false;
  if (pool_.mode() == PoolMode::kWrite &&
      !SendCommand(StepKind::kLsn, unit, -1, 0, lsn_sql, nullptr)) {
    return false;
  }
  if (!SendSync(unit) || PQflush(conn_.get()) < 0) return false;
  return ReadResults() && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
}

PgResultPtr ConnectionWorker::NextResult(size_t step_index, bool* lost) {
  PGconn* conn = conn_.get();
  while (PQisBusy(conn)) {
    const int flush = PQflush(conn);
    if (flush < 0) {
      *lost = true;
      return nullptr;
    }
    // Wake up in time to cancel the running statement when its caller gives up.
    // A commit is never cancelled: cancelling its wait for the synchronous
    // standby makes PostgreSQL keep the commit unreplicated and report success.
    const Step& step = steps_[step_index];
    const bool cancellable =
        step.job >= 0 && (step.kind == StepKind::kStatement || step.kind == StepKind::kPrepare ||
                          step.kind == StepKind::kBegin);
    absl::Time wake = absl::Now() + kMaxSocketWait;
    if (cancellable && cancelled_step_ != step_index) {
      wake = std::min(wake, batch_[step.job].job->deadline);
    }
    WaitForSocket(PQsocket(conn), true, flush == 1,
                  std::max(wake, absl::Now() + absl::Microseconds(100)));
    if (PQconsumeInput(conn) != 1) {
      *lost = true;
      return nullptr;
    }
    if (!PQisBusy(conn)) break;
    const absl::Time now = absl::Now();
    if (cancellable && cancelled_step_ != step_index) {
      const Job& job = *batch_[step.job].job;
      if (job.Expired(now) || job.Cancelled() || pool_.stopping()) {
        char error[256];
        PQcancel(cancel_.get(), error, sizeof(error));
        cancelled_step_ = step_index;
        cancel_sent_at_ = now;
      }
    } else if ((cancelled_step_ == step_index && now - cancel_sent_at_ > kCancelGrace) ||
               (!cancellable && now > batch_deadline_ + kCancelGrace)) {
      // Give the connection up: either the server ignores our cancel, or a
      // commit or sync outlives every caller (e.g. no synchronous standby is
      // left) and its writes are reported as possibly committed rather than
      // holding the worker forever.
      *lost = true;
      return nullptr;
    }
  }
  return PgResultPtr(PQgetResult(conn));
}

bool ConnectionWorker::ReadResults() {
  bool lost = false;
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Step& step = steps_[i];
    PgResultPtr result = NextResult(i, &lost);
    if (lost || result == nullptr) return false;
    if (step.kind == StepKind::kSync) {
      if (PQresultStatus(result.get()) != PGRES_PIPELINE_SYNC) {
        // The implicit transaction failed at commit; the sync marker follows.
        Unit& unit = units_[step.unit];
        unit.failed = true;
        for (int j : unit.jobs) {
          // Answered reads (kDone) are over: their call may already be gone.
          if (batch_[j].state != JobState::kError && batch_[j].state != JobState::kDone) {
            FailJob(batch_[j], result.get());
          }
        }
        result = NextResult(i, &lost);
        if (lost || result == nullptr || PQresultStatus(result.get()) != PGRES_PIPELINE_SYNC)
          return false;
      }
      ConcludeUnit(units_[step.unit]);
      continue;
    }
    HandleResult(step, result.get());
    // Each command's results end with a null result.
    while (true) {
      PgResultPtr extra = NextResult(i, &lost);
      if (lost) return false;
      if (extra == nullptr) break;
    }
  }
  return true;
}

void ConnectionWorker::FailJob(BatchJob& entry, const PGresult* result) {
  const PgError error = ErrorFromResult(result);
  entry.state = JobState::kError;
  entry.sqlstate = error.sqlstate;
  grpc::StatusCode code = StatusCodeForSqlState(error.sqlstate);
  std::string message = error.message;
  if (error.sqlstate == "57014") {
    if (entry.job->Cancelled()) {
      code = grpc::StatusCode::CANCELLED;
      message = "the caller cancelled; the statement was stopped";
    } else {
      message = "the statement did not finish within its deadline and was cancelled";
    }
  }
  entry.error = grpc::Status(code, message);
}

void ConnectionWorker::HandleResult(const Step& step, const PGresult* result) {
  const ExecStatusType status = PQresultStatus(result);
  Unit& unit = units_[step.unit];
  const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  if (!ok && status != PGRES_PIPELINE_ABORTED) unit.failed = true;
  switch (step.kind) {
    case StepKind::kGuard:
    case StepKind::kLsn:
      if (ParseLsnResult(result, &unit.lsn)) {
        unit.has_lsn = true;
        pool_.node().ObserveLsn(unit.lsn);
      }
      return;
    case StepKind::kPrepare:
      if (!ok) {
        prepared_.Erase(step.sql);
        if (status != PGRES_PIPELINE_ABORTED && step.job >= 0) FailJob(batch_[step.job], result);
      }
      return;
    case StepKind::kBegin:
    case StepKind::kCommit:
    case StepKind::kStatement:
      break;
    case StepKind::kRollback:
    case StepKind::kSync:
      return;
  }
  BatchJob& entry = batch_[step.job];
  if (entry.state == JobState::kError) return;  // its own PREPARE already failed
  if (status == PGRES_PIPELINE_ABORTED) {
    entry.state = JobState::kAborted;
    return;
  }
  if (!ok) {
    FailJob(entry, result);
    if (step.kind == StepKind::kStatement &&
        (entry.sqlstate == kPreparedMissing || entry.sqlstate == kFeatureNotSupported)) {
      // A statement prepared by an aborted unit of this batch, or a cached
      // plan outdated by a schema change: prepare it afresh on the retry.
      const Job& job = *entry.job;
      prepared_.Erase(job.kind == JobKind::kStatement
                          ? job.statement->sql()
                          : job.transaction->statements(step.statement).sql());
    }
    if (entry.job->kind == JobKind::kTransaction) {
      entry.error = grpc::Status(entry.error.error_code(),
                                 step.kind == StepKind::kStatement
                                     ? absl::StrCat("statement ", step.statement + 1, " of ",
                                                    entry.job->transaction->statements_size(), ": ",
                                                    entry.error.error_message())
                                     : entry.error.error_message());
    }
    return;
  }
  if (step.kind != StepKind::kStatement) return;
  Job& job = *entry.job;
  // Only reads are capped: a write's answer must say that it committed.
  if (unit.kind == UnitKind::kReadGroup &&
      ResultBytes(result) > pool_.settings().max_result_bytes) {
    entry.state = JobState::kError;
    entry.sqlstate.clear();
    entry.error =
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     absl::StrCat("the result is larger than the router's limit of ",
                                  pool_.settings().max_result_bytes >> 20,
                                  " MiB (--max-result-bytes); fetch it in pages (LIMIT, keyset)"));
    return;
  }
  if (job.kind == JobKind::kTransaction) {
    CopyResult(result, *job.transaction_response->add_results());
    return;
  }
  if (job.statement->row_format() == v1::ROW_FORMAT_PACKED) {
    CopyPackedResult(result, *job.statement_response);
  } else {
    CopyResult(result, *job.statement_response);
  }
  entry.state = JobState::kResult;
  if (unit.kind != UnitKind::kReadGroup) return;
  if (RanBehind(job, unit)) {
    // The replica had not replayed the caller's write when the read ran.
    entry.state = JobState::kWaitLsn;
    return;
  }
  FinishRead(entry);
}

bool ConnectionWorker::RanBehind(const Job& job, const Unit& unit) const {
  if (on_primary_) return false;
  return job.min_lsn > lsn_before_send_ && !(unit.has_lsn && job.min_lsn <= unit.lsn);
}

bool ConnectionWorker::RefusedUnrun(const BatchJob& entry) const {
  const Job& job = *entry.job;
  // Refused because of another unit or a cache entry that is now gone: the
  // next round cannot fail the same way.
  if (entry.sqlstate == kInFailedTransaction || entry.sqlstate == kPreparedMissing) return true;
  if (entry.sqlstate == kFeatureNotSupported) return job.attempts == 0;  // stale plan: once
  // PQcancel stops whatever the backend runs when it arrives: a cancel meant
  // for another caller's statement may have hit this one.
  return entry.sqlstate == kQueryCanceled && cancelled_step_ != static_cast<size_t>(-1) &&
         job.attempts < kMaxRequeues && !job.Expired(absl::Now()) && !job.Cancelled();
}

void ConnectionWorker::FinishRead(BatchJob& entry) {
  Node& node = pool_.node();
  node.RecordLatency(absl::Now() - sent_at_);
  auto* served = entry.job->statement_response->mutable_served_by();
  served->set_node(node.name());
  served->set_role(on_primary_ ? v1::NODE_ROLE_PRIMARY : v1::NODE_ROLE_REPLICA);
  entry.job->Finish(grpc::Status::OK);
  entry.state = JobState::kDone;
}

void ConnectionWorker::WaitForReplay(BatchJob& entry) {
  Job& job = *entry.job;
  job.statement_response->Clear();
  if (job.lsn_wait_until == absl::InfiniteFuture()) {
    job.lsn_wait_until = absl::Now() + pool_.settings().lsn_wait;
  }
  waiting_.push_back(std::move(entry.job));
  entry.state = JobState::kDone;
}

void ConnectionWorker::Requeue(BatchJob& entry) {
  Job& job = *entry.job;
  ++job.attempts;
  if (job.attempts >= kSoloAfterAttempts) job.solo = true;
  if (job.statement_response != nullptr) job.statement_response->Clear();
  if (job.transaction_response != nullptr) job.transaction_response->Clear();
  requeue_.push_back(std::move(entry.job));
  entry.state = JobState::kDone;
}

void ConnectionWorker::ConcludeUnit(Unit& unit) {
  JobSink& sink = pool_.sink();
  switch (unit.kind) {
    case UnitKind::kLsn:
      return;
    case UnitKind::kReadGroup:
      for (int j : unit.jobs) {
        BatchJob& entry = batch_[j];
        Job& job = *entry.job;
        switch (entry.state) {
          case JobState::kWaitLsn:
            WaitForReplay(entry);
            break;
          case JobState::kError:
            if (RefusedUnrun(entry)) {
              Requeue(entry);
            } else if (entry.sqlstate != kReadOnlyTransaction && RanBehind(job, unit)) {
              // An error from a snapshot older than the caller's writes (say,
              // a table they just created) is no answer: wait and run again.
              WaitForReplay(entry);
            } else if (entry.sqlstate == kReadOnlyTransaction && job.auto_intent) {
              sink.Reroute(std::move(entry.job), RerouteCause::kReadOnlyReplica, entry.error);
            } else if (IsRetryableReadError(entry.sqlstate)) {
              sink.Reroute(std::move(entry.job), RerouteCause::kRetryableError, entry.error);
            } else {
              if (entry.sqlstate == kReadOnlyTransaction) {
                entry.error = grpc::Status(
                    grpc::StatusCode::FAILED_PRECONDITION,
                    absl::StrCat("this statement writes, but it was sent with "
                                 "intent READ (",
                                 entry.error.error_message(), "); send it with intent WRITE"));
              }
              job.Finish(entry.error, entry.sqlstate);
            }
            entry.state = JobState::kDone;
            break;
          case JobState::kAborted:
          case JobState::kPending:
            Requeue(entry);
            break;
          case JobState::kResult:
          case JobState::kDone:
            break;
        }
      }
      return;
    case UnitKind::kWriteGroup:
    case UnitKind::kTransaction: {
      const bool group = unit.jobs.size() > 1;
      for (int j : unit.jobs) {
        BatchJob& entry = batch_[j];
        if (!unit.failed && entry.state != JobState::kError) {
          committed_.push_back(j);
          continue;
        }
        // A deadlock or serialization failure inside a group may be caused by
        // the grouping itself; 25P02 means the job was refused unrun.
        const bool batching_artifact =
            group && (entry.sqlstate == "40001" || entry.sqlstate == "40P01");
        const bool never_ran = entry.state == JobState::kError && RefusedUnrun(entry);
        if (entry.state == JobState::kError && entry.sqlstate == kReadOnlyTransaction) {
          // The "primary" refused a write as read-only: it was demoted (or is
          // being fenced). Nothing committed, so the new primary may take it.
          sink.Reroute(std::move(entry.job), RerouteCause::kNotPrimary,
                       grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                    absl::StrCat(pool_.node().name(),
                                                 " refused the write as read-only: it is no "
                                                 "longer the primary")));
          entry.state = JobState::kDone;
        } else if (entry.state == JobState::kError && !batching_artifact && !never_ran) {
          entry.job->Finish(entry.error, entry.sqlstate);
          entry.state = JobState::kDone;
        } else {
          // Rolled back with the group (or aborted before it ran): safe to run again.
          Requeue(entry);
        }
      }
      return;
    }
  }
}

void ConnectionWorker::FinishCommitted() {
  uint64_t commit_lsn = 0;
  for (const Unit& unit : units_) {
    if (unit.kind == UnitKind::kLsn && unit.has_lsn) commit_lsn = unit.lsn;
  }
  const std::string& name = pool_.node().name();
  const bool unconfirmed = pool_.mode() == PoolMode::kWrite && commit_warning_ &&
                           cancelled_step_ != static_cast<size_t>(-1);
  for (int j : committed_) {
    BatchJob& entry = batch_[j];
    if (entry.job == nullptr) continue;
    Job& job = *entry.job;
    if (unconfirmed) {
      job.Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              absl::StrCat("the write may have committed on ", name,
                                           " without reaching a standby (a cancellation "
                                           "interrupted the wait); check before retrying")));
      entry.state = JobState::kDone;
      continue;
    }
    v1::ServedBy* served = job.kind == JobKind::kStatement
                               ? job.statement_response->mutable_served_by()
                               : job.transaction_response->mutable_served_by();
    served->set_node(name);
    served->set_role(v1::NODE_ROLE_PRIMARY);
    if (job.kind == JobKind::kStatement) {
      job.statement_response->set_commit_lsn(commit_lsn);
    } else {
      job.transaction_response->set_commit_lsn(commit_lsn);
    }
    job.Finish(grpc::Status::OK);
    entry.state = JobState::kDone;
  }
}

void ConnectionWorker::HandleConnectionLoss(const std::string& why) {
  Node& node = pool_.node();
  Disconnect();
  // A lost connection does not mean a lost node (a restarted backend, a
  // server-side timeout): try once at once. Only if that fails is the node
  // avoided until a probe finds it healthy again.
  bool node_reachable = false;
  if (!pool_.stopping()) {
    node_reachable = EnsureConnected();
    log::Warning("lost a database connection",
                 {{"node", node.name()}, {"error", why}, {"reconnected", node_reachable}});
    if (!node_reachable) node.MarkSuspect();
  }
  const bool write_mode = pool_.mode() == PoolMode::kWrite;
  const grpc::Status unavailable(
      grpc::StatusCode::UNAVAILABLE,
      write_mode ? absl::StrCat("lost the connection to the primary ", node.name(),
                                " while the write was in flight; it may or may not have committed")
                 : absl::StrCat("lost the connection to ", node.name()));
  // Their commit was confirmed before the loss; if its position was not read
  // yet, read it on the new connection (it can only be later: still correct).
  if (node_reachable && write_mode && !committed_.empty() && !ReadCommitLsnAgain()) {
    Disconnect();
    node_reachable = false;
  }
  FinishCommitted();
  for (BatchJob& entry : batch_) {
    if (entry.job == nullptr || entry.state == JobState::kDone) continue;
    if (write_mode) {
      entry.job->Finish(unavailable);  // it may have committed: never run it again
    } else if (node_reachable && entry.job->attempts < 2) {
      Requeue(entry);  // a read: run it again on the new connection
    } else {
      pool_.sink().Reroute(std::move(entry.job), RerouteCause::kNodeFailed, unavailable);
    }
    entry.state = JobState::kDone;
  }
  if (!node_reachable) {
    for (auto& job : waiting_)
      pool_.sink().Reroute(std::move(job), RerouteCause::kNodeFailed, unavailable);
    waiting_.clear();
    // These were rolled back or never ran (their unit's end was confirmed), so
    // even writes may safely go elsewhere.
    for (auto& job : requeue_)
      pool_.sink().Reroute(std::move(job), RerouteCause::kNodeFailed, unavailable);
    requeue_.clear();
  }
  pool_.Requeue(requeue_);
}

}  // namespace taskgres::router
