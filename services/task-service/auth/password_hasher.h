// Argon2id password hashes (libsodium), in PHC string form.
#ifndef TASKGRES_TASK_SERVICE_AUTH_PASSWORD_HASHER_H_
#define TASKGRES_TASK_SERVICE_AUTH_PASSWORD_HASHER_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace taskgres::auth {

class PasswordHasher {
 public:
  // Argon2id cost: `ops` passes over `memory_kib` KiB (OWASP's floor is
  // 2 passes over 19 MiB, our default).
  PasswordHasher(unsigned long long ops, size_t memory_kib);

  // Blocking and CPU-heavy: run it on a CpuPool.
  absl::StatusOr<std::string> Hash(absl::string_view password) const;

  // True when `password` matches `hash`. Blocking and CPU-heavy too.
  bool Verify(absl::string_view password, const std::string& hash) const;

  // A valid hash of a random password: verifying against it costs the same
  // as a real one, so unknown users and wrong passwords take equally long.
  const std::string& decoy_hash() const { return decoy_hash_; }

 private:
  unsigned long long ops_;
  size_t memory_bytes_;
  std::string decoy_hash_;
};

}  // namespace taskgres::auth

#endif  // TASKGRES_TASK_SERVICE_AUTH_PASSWORD_HASHER_H_
