#include "topology/node_prober.h"

#include <poll.h>

#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace taskgres::router {
namespace {

constexpr char kProbeSql[] =
    "SELECT pg_is_in_recovery(), current_setting('transaction_read_only'), "
    "(CASE WHEN pg_is_in_recovery() THEN COALESCE(pg_last_wal_replay_lsn(), '0/0') "
    "ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::text";

}  // namespace

void NodeProber::Fail(std::string error) {
  conn_.reset();
  if (reused_) {
    reused_ = false;
    Begin(timeout_, /*fresh_round=*/false);
    return;
  }
  result_.ok = false;
  result_.error = std::move(error);
  state_ = State::kDone;
}

void NodeProber::Begin(absl::Duration timeout, bool fresh_round) {
  timeout_ = timeout;
  if (fresh_round) result_ = ProbeResult{};
  if (conn_ != nullptr && PQstatus(conn_.get()) != CONNECTION_OK) conn_.reset();
  if (fresh_round) reused_ = conn_ != nullptr;
  if (conn_ == nullptr) {
    SessionOptions session;
    session.statement_timeout = timeout;
    ConnectTarget target = target_;
    target.application_name = "taskgres-db-router-probe";
    conn_ = StartConnect(target, session);
    if (conn_ == nullptr || PQstatus(conn_.get()) == CONNECTION_BAD) {
      Fail(conn_ == nullptr ? "out of memory" : PgErrorMessage(conn_.get()));
      return;
    }
    state_ = State::kConnecting;
    connect_state_ = PGRES_POLLING_WRITING;
    return;
  }
  state_ = State::kQuerying;
  sent_at_ = absl::Now();
  if (PQsendQuery(conn_.get(), kProbeSql) != 1) {
    Fail(PgErrorMessage(conn_.get()));
    return;
  }
  flushing_ = PQflush(conn_.get()) == 1;
}

short NodeProber::Events() const {
  if (state_ == State::kConnecting) {
    return connect_state_ == PGRES_POLLING_READING ? POLLIN : POLLOUT;
  }
  return static_cast<short>(POLLIN | (flushing_ ? POLLOUT : 0));
}

void NodeProber::Advance() {
  if (state_ == State::kConnecting) {
    connect_state_ = PQconnectPoll(conn_.get());
    if (connect_state_ == PGRES_POLLING_FAILED) {
      Fail(PgErrorMessage(conn_.get()));
    } else if (connect_state_ == PGRES_POLLING_OK) {
      if (PQsetnonblocking(conn_.get(), 1) != 0) {
        Fail("cannot make the probe connection non-blocking");
        return;
      }
      state_ = State::kQuerying;
      sent_at_ = absl::Now();
      if (PQsendQuery(conn_.get(), kProbeSql) != 1) {
        Fail(PgErrorMessage(conn_.get()));
        return;
      }
      flushing_ = PQflush(conn_.get()) == 1;
    }
    return;
  }
  if (flushing_) flushing_ = PQflush(conn_.get()) == 1;
  if (PQconsumeInput(conn_.get()) != 1) {
    Fail(PgErrorMessage(conn_.get()));
    return;
  }
  while (!PQisBusy(conn_.get())) {
    PgResultPtr result(PQgetResult(conn_.get()));
    if (result == nullptr) {
      if (!result_.ok && result_.error.empty()) result_.error = "the probe returned no row";
      state_ = State::kDone;
      return;
    }
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK || PQntuples(result.get()) != 1) {
      result_.error = PQresultErrorMessage(result.get());
      if (result_.error.empty()) result_.error = "unexpected probe result";
      continue;
    }
    result_.rtt = absl::Now() - sent_at_;
    result_.in_recovery = PQgetvalue(result.get(), 0, 0)[0] == 't';
    result_.read_only = absl::string_view(PQgetvalue(result.get(), 0, 1)) == "on";
    result_.ok = absl::SimpleAtoi(PQgetvalue(result.get(), 0, 2), &result_.lsn);
  }
}

std::vector<ProbeResult> ProbeAll(const std::vector<NodeProber*>& probers, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (NodeProber* prober : probers) prober->Begin(timeout, /*fresh_round=*/true);
  std::vector<pollfd> fds;
  std::vector<NodeProber*> active;
  while (true) {
    fds.clear();
    active.clear();
    for (NodeProber* prober : probers) {
      if (prober->state_ == NodeProber::State::kDone) continue;
      fds.push_back({PQsocket(prober->conn_.get()), prober->Events(), 0});
      active.push_back(prober);
    }
    if (active.empty()) break;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      for (NodeProber* prober : active) {
        prober->reused_ = false;  // out of time: no second try
        prober->Fail(absl::StrCat("no answer within ", absl::FormatDuration(timeout)));
      }
      break;
    }
    const int ready =
        poll(fds.data(), fds.size(), static_cast<int>(absl::ToInt64Milliseconds(left) + 1));
    if (ready < 0 && errno != EINTR) break;
    for (size_t i = 0; i < active.size(); ++i) {
      if (fds[i].revents != 0) active[i]->Advance();
    }
  }
  std::vector<ProbeResult> results;
  results.reserve(probers.size());
  for (NodeProber* prober : probers) {
    ProbeResult result = prober->result_;
    if (!result.ok && result.error.empty()) result.error = "no answer";
    if (!result.ok) {
      // Strip libpq's trailing newline for one-line messages.
      while (!result.error.empty() && (result.error.back() == '\n' || result.error.back() == ' ')) {
        result.error.pop_back();
      }
    }
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace taskgres::router
