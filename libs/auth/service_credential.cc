#include "auth/service_credential.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "secrets/secret_file.h"

namespace taskgres {

absl::StatusOr<ServiceCredential> ServiceCredential::FromFile(absl::string_view path) {
  absl::StatusOr<std::string> token = ReadSecretFile(path);
  if (!token.ok()) return token.status();
  return FromToken(*token);
}

absl::StatusOr<ServiceCredential> ServiceCredential::FromToken(absl::string_view token) {
  if (token.size() < 16) {
    return absl::InvalidArgumentError("the service token must be at least 16 characters");
  }
  return ServiceCredential(absl::StrCat("Bearer ", token));
}

grpc::Status ServiceCredential::Check(const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return {grpc::StatusCode::UNAUTHENTICATED,
            "this internal service needs the service credential"};
  }
  const grpc::string_ref& given = it->second;
  if (given.size() != header_.size() ||
      sodium_memcmp(given.data(), header_.data(), header_.size()) != 0) {
    return {grpc::StatusCode::UNAUTHENTICATED, "the service credential is wrong"};
  }
  return grpc::Status::OK;
}

void ServiceCredential::AttachTo(grpc::ClientContext& context) const {
  context.AddMetadata("authorization", header_);
}

}  // namespace taskgres
