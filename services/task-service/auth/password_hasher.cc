#include "auth/password_hasher.h"

#include <sodium.h>

namespace taskgres::auth {

PasswordHasher::PasswordHasher(unsigned long long ops, size_t memory_kib)
    : ops_(ops), memory_bytes_(memory_kib * 1024) {
  if (sodium_init() < 0) return;
  unsigned char random[32];
  randombytes_buf(random, sizeof(random));
  auto decoy = Hash(std::string(reinterpret_cast<const char*>(random), sizeof(random)));
  if (decoy.ok()) decoy_hash_ = *decoy;
}

absl::StatusOr<std::string> PasswordHasher::Hash(absl::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops_, memory_bytes_,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("not enough memory to hash the password; try again");
  }
  return std::string(out);
}

bool PasswordHasher::Verify(absl::string_view password, const std::string& hash) const {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace taskgres::auth
