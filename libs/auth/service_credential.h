// The shared-secret credential internal services require from their callers.
#ifndef TASKGRES_LIBS_AUTH_SERVICE_CREDENTIAL_H_
#define TASKGRES_LIBS_AUTH_SERVICE_CREDENTIAL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace taskgres {

// Holds the service token; checks it on incoming calls and attaches it to outgoing ones.
class ServiceCredential {
 public:
  // Reads the token from a secret file (see ReadSecretFile).
  static absl::StatusOr<ServiceCredential> FromFile(absl::string_view path);

  // `token` must be at least 16 characters.
  static absl::StatusOr<ServiceCredential> FromToken(absl::string_view token);

  // OK when the call carries `authorization: Bearer <token>`; UNAUTHENTICATED
  // otherwise. Compares in constant time.
  grpc::Status Check(const grpc::ServerContextBase& context) const;

  // Adds the credential to an outgoing call.
  void AttachTo(grpc::ClientContext& context) const;

 private:
  explicit ServiceCredential(std::string header) : header_(std::move(header)) {}
  std::string header_;  // "Bearer <token>"
};

}  // namespace taskgres

#endif  // TASKGRES_LIBS_AUTH_SERVICE_CREDENTIAL_H_
