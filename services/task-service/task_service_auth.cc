// TaskService: who is calling, what they may target, read-your-writes
// bookkeeping, and the accounts RPCs (Login, Register, users admin).
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "grpcutil/status.h"
#include "logging/json_log.h"
#include "lsn/lsn.h"
#include "task_service.h"
#include "tasks/task_row.h"
#include "validation/text_rules.h"

namespace taskgres::tasks {
namespace {

constexpr char kLsnHeader[] = "x-taskgres-lsn";
constexpr char kWrongCredentials[] = "wrong username or password";

std::optional<std::string> Metadata(const grpc::CallbackServerContext* context,
                                    absl::string_view key) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

void ReadUser(const v1::Row& row, v1::User* user) {
  user->set_username(TextAt(row, 0));
  user->set_role(RoleFromText(TextAt(row, 1)));
  *user->mutable_create_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(IntAt(row, 2));
}

constexpr char kUserColumns[] =
    "username, role, (extract(epoch FROM create_time) * 1000000)::bigint";

}  // namespace

grpc::Status DatabaseError(const grpc::Status& status, absl::string_view doing) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("the database is unavailable while ", doing, "; try again"));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return grpc::Status(status.error_code(),
                          absl::StrCat("the database did not answer in time while ", doing));
    default:
      log::Error("unexpected database error", {{"doing", doing},
                                               {"code", static_cast<int>(status.error_code())},
                                               {"error", status.error_message()}});
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          absl::StrCat("unexpected database error while ", doing));
  }
}

std::optional<v1::Role> TaskServiceImpl::CachedRole(const std::string& username) {
  absl::MutexLock lock(&role_mutex_);
  auto it = roles_.find(username);
  if (it == roles_.end() || absl::Now() - it->second.second > options_.admin_role_ttl)
    return std::nullopt;
  return it->second.first;
}

void TaskServiceImpl::CacheRole(const std::string& username, v1::Role role) {
  absl::MutexLock lock(&role_mutex_);
  if (roles_.size() > 10'000) roles_.clear();  // bounded; entries are cheap to refetch
  roles_[username] = {role, absl::Now()};
}

std::string TaskServiceImpl::BearerToken(const grpc::CallbackServerContext* context) {
  const std::optional<std::string> header = Metadata(context, "authorization");
  if (!header || !absl::StartsWith(*header, "Bearer ")) return "";
  return header->substr(7);
}

void TaskServiceImpl::Authenticate(grpc::CallbackServerContext* context, CallerCallback done) {
  const std::string token = BearerToken(context);
  if (token.empty()) {
    done(absl::UnauthenticatedError(
        "log in first: send 'authorization: Bearer <token>' from Login"));
    return;
  }
  AuthenticateToken(token, absl::FromChrono(context->deadline()), std::move(done));
}

void TaskServiceImpl::RecheckWatcher(const std::string& token, const std::string& owner,
                                     const std::string& username,
                                     absl::AnyInvocable<void(grpc::Status)> verdict) {
  AuthenticateToken(
      token, absl::Now() + absl::Seconds(5),
      [owner, username, verdict = std::move(verdict)](absl::StatusOr<Caller> caller) mutable {
        if (!caller.ok()) {
          if (caller.status().code() != absl::StatusCode::kUnauthenticated) {
            verdict(grpc::Status::OK);  // a database hiccup does not end the stream
            return;
          }
          verdict(grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                               absl::StrCat("your session ended (", caller.status().message(),
                                            "); log in and watch again")));
          return;
        }
        if (owner != username && !caller->admin()) {
          verdict(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                               "you are no longer an admin, so this watch of other users' tasks "
                               "has ended"));
          return;
        }
        verdict(grpc::Status::OK);
      });
}

void TaskServiceImpl::AuthenticateToken(const std::string& token, absl::Time deadline,
                                        CallerCallback done) {
  absl::StatusOr<auth::TokenClaims> claims = deps_.signer.Verify(token, absl::Now());
  if (!claims.ok()) {
    done(claims.status());
    return;
  }
  Caller caller{claims->username, claims->role};
  if (!caller.admin()) {
    done(std::move(caller));
    return;
  }
  // Admin powers are confirmed against the database (cached briefly).
  if (std::optional<v1::Role> role = CachedRole(caller.username)) {
    caller.role = *role;
    done(std::move(caller));
    return;
  }
  // At or after the last role change this instance made for them.
  deps_.db.Execute(
      Query("SELECT role FROM users WHERE username = $1", v1::INTENT_READ)
          .Text(caller.username)
          .MinLsn(deps_.lsns.Get(caller.username)),
      [this, caller, done = std::move(done)](const grpc::Status& status,
                                             v1::ExecuteResponse& rows) mutable {
        if (!status.ok()) {
          done(ToAbslStatus(DatabaseError(status, "checking your role")));
          return;
        }
        if (rows.rows_size() == 0) {
          done(absl::UnauthenticatedError("this account no longer exists"));
          return;
        }
        caller.role = RoleFromText(TextAt(rows.rows(0), 0));
        CacheRole(caller.username, caller.role);
        done(std::move(caller));
      },
      deadline);
}

void TaskServiceImpl::AuthenticateAdmin(grpc::CallbackServerContext* context, CallerCallback done) {
  Authenticate(context, [done = std::move(done)](absl::StatusOr<Caller> caller) mutable {
    if (caller.ok() && !caller->admin()) {
      done(absl::PermissionDeniedError("only an admin may do this"));
      return;
    }
    done(std::move(caller));
  });
}

absl::StatusOr<uint64_t> TaskServiceImpl::ReadLsn(const grpc::CallbackServerContext* context,
                                                  const Caller& caller) const {
  uint64_t lsn = deps_.lsns.Get(caller.username);
  if (std::optional<std::string> sent = Metadata(context, kLsnHeader)) {
    // Ignoring a mangled token would silently give up read-your-writes.
    std::optional<uint64_t> parsed = ParseLsn(*sent);
    if (!parsed) {
      return absl::InvalidArgumentError(absl::StrCat(
          kLsnHeader, " must be sent back exactly as a write returned it (like 16/B374D848)"));
    }
    lsn = std::max(lsn, *parsed);
  }
  return lsn;
}

void TaskServiceImpl::RecordWrite(grpc::CallbackServerContext* context, const std::string& username,
                                  uint64_t lsn) {
  if (lsn == 0) return;
  deps_.lsns.Remember(username, lsn);
  context->AddInitialMetadata(kLsnHeader, FormatLsn(lsn));
}

absl::StatusOr<std::string> TaskServiceImpl::ResolveOwner(const Caller& caller,
                                                          const std::string& requested,
                                                          bool allow_all) const {
  if (requested.empty() || requested == caller.username) return caller.username;
  if (requested == "*") {
    if (!allow_all)
      return absl::InvalidArgumentError("'*' (everyone) is not allowed here; name one owner");
    if (!caller.admin())
      return absl::PermissionDeniedError("only an admin may see everyone's tasks");
    return requested;
  }
  if (!caller.admin()) return absl::PermissionDeniedError("you may only work with your own tasks");
  if (absl::Status valid = ValidateUsername(requested); !valid.ok()) return valid;
  return requested;
}

void TaskServiceImpl::HashPassword(std::string password,
                                   absl::AnyInvocable<void(absl::StatusOr<std::string>)> done) {
  auto shared_done = std::make_shared<decltype(done)>(std::move(done));
  const bool queued = deps_.cpu.Submit([this, password = std::move(password), shared_done] {
    (*shared_done)(deps_.hasher.Hash(password));
  });
  if (!queued)
    (*shared_done)(absl::ResourceExhaustedError("the server is busy hashing passwords; try again"));
}

void TaskServiceImpl::FailLogin(grpc::ServerUnaryReactor* reactor, absl::Time started) {
  deps_.metrics.CountLoginFailure();
  // Answer at a fixed time after the request arrived, the same way for
  // unknown users and wrong passwords, however long the lookups took.
  deps_.timers.Schedule(started + options_.login_failure_delay, [reactor](bool) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, kWrongCredentials));
  });
}

grpc::ServerUnaryReactor* TaskServiceImpl::Login(grpc::CallbackServerContext* context,
                                                 const v1::LoginRequest* request,
                                                 v1::LoginResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::string& username = request->username();
  if (!ValidateUsername(username).ok() || !ValidatePassword(request->password()).ok()) {
    // Malformed input cannot match any account; say what is wrong with it.
    absl::Status problem = ValidateUsername(username);
    if (problem.ok()) problem = ValidatePassword(request->password());
    reactor->Finish(ToGrpcStatus(problem));
    return reactor;
  }
  const absl::Time started = absl::Now();
  if (absl::Status allowed = deps_.throttle.Admit(username, started); !allowed.ok()) {
    deps_.metrics.CountLoginThrottled();
    reactor->Finish(ToGrpcStatus(allowed));
    return reactor;
  }
  // Check the hash off the gRPC threads, then answer.
  auto verify = [this, reactor, request, response,
                 started](std::optional<std::pair<std::string, v1::Role>> user) {
    const std::string hash = user ? user->first : deps_.hasher.decoy_hash();
    const bool queued = deps_.cpu.Submit([this, reactor, request, response, user, hash, started] {
      const bool match = deps_.hasher.Verify(request->password(), hash);
      if (!user || !match) {
        FailLogin(reactor, started);
        return;
      }
      deps_.throttle.RecordSuccess(request->username());
      deps_.metrics.CountLoginSuccess();
      const absl::Time now = absl::Now();
      auth::TokenClaims claims{request->username(), user->second, now, now + options_.token_ttl};
      response->set_token(deps_.signer.Sign(claims));
      response->mutable_user()->set_username(request->username());
      response->mutable_user()->set_role(user->second);
      *response->mutable_expire_time() = ToTimestamp(claims.expires);
      reactor->Finish(grpc::Status::OK);
    });
    if (!queued)
      reactor->Finish(
          grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "the server is busy; try again"));
  };
  auto lookup = [this, context, username](v1::Intent intent, auto then) {
    deps_.db.Execute(Query("SELECT password_hash, role FROM users WHERE username = $1", intent)
                         .Text(username)
                         .MinLsn(deps_.lsns.Get(username)),
                     std::move(then), absl::FromChrono(context->deadline()));
  };
  lookup(v1::INTENT_READ,
         [reactor, verify, lookup](const grpc::Status& status, v1::ExecuteResponse& rows) mutable {
           if (!status.ok()) {
             reactor->Finish(DatabaseError(status, "logging in"));
             return;
           }
           if (rows.rows_size() == 1) {
             verify(std::make_pair(TextAt(rows.rows(0), 0), RoleFromText(TextAt(rows.rows(0), 1))));
             return;
           }
           // Not on the replica: it may have been registered through another instance
           // a moment ago. Ask the primary before saying no.
           lookup(v1::INTENT_WRITE, [reactor, verify](const grpc::Status& status,
                                                      v1::ExecuteResponse& rows) mutable {
             if (!status.ok()) {
               reactor->Finish(DatabaseError(status, "logging in"));
               return;
             }
             verify(rows.rows_size() == 1
                        ? std::make_optional(std::make_pair(TextAt(rows.rows(0), 0),
                                                            RoleFromText(TextAt(rows.rows(0), 1))))
                        : std::nullopt);
           });
         });
  return reactor;
}

void TaskServiceImpl::InsertUser(grpc::CallbackServerContext* context,
                                 grpc::ServerUnaryReactor* reactor, const std::string& username,
                                 std::string password, v1::Role role, v1::User* response) {
  HashPassword(std::move(password), [this, context, reactor, username, role,
                                     response](absl::StatusOr<std::string> hash) {
    if (!hash.ok()) {
      reactor->Finish(ToGrpcStatus(hash.status()));
      return;
    }
    deps_.db.Execute(
        Query(
            absl::StrCat(
                "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) RETURNING ",
                kUserColumns),
            v1::INTENT_WRITE)
            .Text(username)
            .Text(*hash)
            .Text(RoleText(role)),
        [this, context, reactor, username, response](const grpc::Status& status,
                                                     v1::ExecuteResponse& rows) {
          if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
            reactor->Finish(grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                                         absl::StrCat("the username '", username, "' is taken")));
            return;
          }
          if (!status.ok() || rows.rows_size() != 1) {
            reactor->Finish(DatabaseError(status, "creating the account"));
            return;
          }
          ReadUser(rows.rows(0), response);
          RecordWrite(context, username, rows.commit_lsn());
          reactor->Finish(grpc::Status::OK);
        },
        absl::FromChrono(context->deadline()));
  });
}

grpc::ServerUnaryReactor* TaskServiceImpl::Register(grpc::CallbackServerContext* context,
                                                    const v1::RegisterRequest* request,
                                                    v1::User* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!options_.allow_registration) {
    reactor->Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                 "registration is disabled here; ask an admin for an account"));
    return reactor;
  }
  absl::Status problem = ValidateUsername(request->username());
  if (problem.ok()) problem = ValidatePassword(request->password());
  if (!problem.ok()) {
    reactor->Finish(ToGrpcStatus(problem));
    return reactor;
  }
  InsertUser(context, reactor, request->username(), request->password(), v1::ROLE_CLIENT, response);
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::CreateUser(grpc::CallbackServerContext* context,
                                                      const v1::CreateUserRequest* request,
                                                      v1::User* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  AuthenticateAdmin(context, [this, context, reactor, request,
                              response](const absl::StatusOr<Caller>& caller) {
    if (!caller.ok()) {
      reactor->Finish(ToGrpcStatus(caller.status()));
      return;
    }
    absl::Status problem = ValidateUsername(request->username());
    if (problem.ok()) problem = ValidatePassword(request->password());
    if (problem.ok() && request->role() != v1::ROLE_CLIENT && request->role() != v1::ROLE_ADMIN) {
      problem = absl::InvalidArgumentError("the role must be CLIENT or ADMIN");
    }
    if (!problem.ok()) {
      reactor->Finish(ToGrpcStatus(problem));
      return;
    }
    InsertUser(context, reactor, request->username(), request->password(), request->role(),
               response);
  });
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::ListUsers(grpc::CallbackServerContext* context,
                                                     const v1::ListUsersRequest* /*request*/,
                                                     v1::ListUsersResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  AuthenticateAdmin(context, [this, context, reactor, response](absl::StatusOr<Caller> caller) {
    if (!caller.ok()) {
      reactor->Finish(ToGrpcStatus(caller.status()));
      return;
    }
    absl::StatusOr<uint64_t> min_lsn = ReadLsn(context, *caller);
    if (!min_lsn.ok()) {
      reactor->Finish(ToGrpcStatus(min_lsn.status()));
      return;
    }
    deps_.db.Execute(
        Query(absl::StrCat("SELECT ", kUserColumns, " FROM users ORDER BY username"),
              v1::INTENT_READ)
            .MinLsn(*min_lsn),
        [reactor, response](const grpc::Status& status, v1::ExecuteResponse& rows) {
          if (!status.ok()) {
            reactor->Finish(DatabaseError(status, "listing users"));
            return;
          }
          for (const v1::Row& row : rows.rows()) ReadUser(row, response->add_users());
          reactor->Finish(grpc::Status::OK);
        },
        absl::FromChrono(context->deadline()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::SetUserRole(grpc::CallbackServerContext* context,
                                                       const v1::SetUserRoleRequest* request,
                                                       v1::User* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  AuthenticateAdmin(
      context, [this, context, reactor, request, response](absl::StatusOr<Caller> caller) {
        if (!caller.ok()) {
          reactor->Finish(ToGrpcStatus(caller.status()));
          return;
        }
        if (request->role() != v1::ROLE_CLIENT && request->role() != v1::ROLE_ADMIN) {
          reactor->Finish(
              grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the role must be CLIENT or ADMIN"));
          return;
        }
        // Locking the admins first serialises concurrent demotions, so the last
        // admin can never be demoted by two admins demoting each other at once.
        v1::ExecuteTransactionRequest transaction;
        transaction.add_statements()->set_sql(
            "SELECT username FROM users WHERE role = 'ADMIN' FOR UPDATE");
        v1::Statement* update = transaction.add_statements();
        update->set_sql(
            absl::StrCat("UPDATE users SET role = $2 WHERE username = $1 AND ($2 = 'ADMIN' OR "
                         "EXISTS (SELECT 1 FROM users "
                         "WHERE role = 'ADMIN' AND username <> $1)) RETURNING ",
                         kUserColumns));
        update->add_params()->set_text(request->username());
        update->add_params()->set_text(RoleText(request->role()));
        v1::Statement* exists = transaction.add_statements();
        exists->set_sql("SELECT 1 FROM users WHERE username = $1");
        exists->add_params()->set_text(request->username());
        deps_.db.ExecuteTransaction(
            std::move(transaction),
            [this, context, reactor, request, response, caller = *caller](
                const grpc::Status& status, v1::ExecuteTransactionResponse&& results) {
              if (!status.ok()) {
                reactor->Finish(DatabaseError(status, "changing the role"));
                return;
              }
              if (results.results(1).rows_size() == 1) {
                ReadUser(results.results(1).rows(0), response);
                CacheRole(request->username(), request->role());
                RecordWrite(context, caller.username, results.commit_lsn());
                // Their next role check reads at least this far.
                deps_.lsns.Remember(request->username(), results.commit_lsn());
                reactor->Finish(grpc::Status::OK);
              } else if (results.results(2).rows_size() == 0) {
                reactor->Finish(
                    grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 absl::StrCat("there is no user '", request->username(), "'")));
              } else {
                reactor->Finish(
                    grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                 "this would leave no admin; make someone else an admin first"));
              }
            },
            absl::FromChrono(context->deadline()));
      });
  return reactor;
}

absl::Status TaskServiceImpl::EnsureFirstAdmin(const std::string& username,
                                               const std::string& password) {
  if (absl::Status valid = ValidateUsername(username); !valid.ok()) return valid;
  if (absl::Status valid = ValidatePassword(password); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the first admin's password: ", valid.message()));
  }
  absl::StatusOr<std::string> hash = deps_.hasher.Hash(password);
  if (!hash.ok()) return hash.status();
  v1::ExecuteResponse response;
  grpc::Status status = deps_.db.ExecuteSync(
      Query("INSERT INTO users (username, password_hash, role) VALUES ($1, $2, 'ADMIN') "
            "ON CONFLICT (username) DO NOTHING",
            v1::INTENT_WRITE)
          .Text(username)
          .Text(*hash),
      &response);
  if (!status.ok()) return ToAbslStatus(status);
  if (response.rows_affected() == 1) log::Info("created the first admin", {{"username", username}});
  return absl::OkStatus();
}

}  // namespace taskgres::tasks
