// Signed, expiring user tokens (HMAC-SHA-256), with key rotation.
#ifndef TASKGRES_TASK_SERVICE_AUTH_TOKEN_SIGNER_H_
#define TASKGRES_TASK_SERVICE_AUTH_TOKEN_SIGNER_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "taskgres/v1/task.pb.h"

namespace taskgres::auth {

struct TokenClaims {
  std::string username;
  v1::Role role = v1::ROLE_CLIENT;
  absl::Time issued;
  absl::Time expires;
};

// Token text: "v1.<key id>.<claims>.<mac>", base64url parts. The claims are
// readable by anyone holding the token, but cannot be changed without the key.
class TokenSigner {
 public:
  // One secret per non-empty line; the first signs, all verify. To rotate,
  // put the new secret first and keep the old one until its tokens expire.
  static absl::StatusOr<TokenSigner> FromSecrets(const std::vector<std::string>& secrets);
  static absl::StatusOr<TokenSigner> FromKeyFile(absl::string_view path);

  std::string Sign(const TokenClaims& claims) const;

  // UNAUTHENTICATED (with a reason) when malformed, signed with an unknown
  // key, tampered with, or expired at `now`.
  absl::StatusOr<TokenClaims> Verify(absl::string_view token, absl::Time now) const;

 private:
  struct Key {
    std::string id;  // 8 hex characters derived from the key
    std::array<unsigned char, 32> mac_key;
  };
  explicit TokenSigner(std::vector<Key> keys) : keys_(std::move(keys)) {}
  static std::string Mac(const Key& key, absl::string_view message);

  std::vector<Key> keys_;
};

}  // namespace taskgres::auth

#endif  // TASKGRES_TASK_SERVICE_AUTH_TOKEN_SIGNER_H_
