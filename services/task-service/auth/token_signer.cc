#include "auth/token_signer.h"

#include <sodium.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "secrets/secret_file.h"

namespace taskgres::auth {
namespace {

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(
      absl::StrCat("the token is not valid: ", why, "; log in again"));
}

}  // namespace

absl::StatusOr<TokenSigner> TokenSigner::FromSecrets(const std::vector<std::string>& secrets) {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  std::vector<Key> keys;
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    if (secret.size() < 32) {
      return absl::InvalidArgumentError("each token signing secret must be at least 32 characters");
    }
    Key key;
    // The MAC key is a hash of the secret, so secrets of any length work alike.
    crypto_hash_sha256(key.mac_key.data(), reinterpret_cast<const unsigned char*>(secret.data()),
                       secret.size());
    unsigned char id[32];
    crypto_hash_sha256(id, key.mac_key.data(), key.mac_key.size());
    key.id = absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(id), 4));
    keys.push_back(key);
  }
  if (keys.empty()) return absl::InvalidArgumentError("no token signing secret given");
  return TokenSigner(std::move(keys));
}

absl::StatusOr<TokenSigner> TokenSigner::FromKeyFile(absl::string_view path) {
  absl::StatusOr<std::string> content = ReadSecretFile(path);
  if (!content.ok()) return content.status();
  std::vector<std::string> secrets;
  for (absl::string_view line : absl::StrSplit(*content, '\n', absl::SkipWhitespace())) {
    secrets.emplace_back(absl::StripAsciiWhitespace(line));
  }
  return FromSecrets(secrets);
}

std::string TokenSigner::Mac(const Key& key, absl::string_view message) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.mac_key.data(), key.mac_key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return std::string(reinterpret_cast<const char*>(mac), sizeof(mac));
}

std::string TokenSigner::Sign(const TokenClaims& claims) const {
  const Key& key = keys_.front();
  const std::string payload =
      absl::StrCat(claims.username, "|", static_cast<int>(claims.role), "|",
                   absl::ToUnixSeconds(claims.issued), "|", absl::ToUnixSeconds(claims.expires));
  const std::string signed_part =
      absl::StrCat("v1.", key.id, ".", absl::WebSafeBase64Escape(payload));
  return absl::StrCat(signed_part, ".", absl::WebSafeBase64Escape(Mac(key, signed_part)));
}

absl::StatusOr<TokenClaims> TokenSigner::Verify(absl::string_view token, absl::Time now) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 4 || parts[0] != "v1") return Unauthenticated("malformed");
  const Key* key = nullptr;
  for (const Key& candidate : keys_) {
    if (candidate.id == parts[1]) key = &candidate;
  }
  if (key == nullptr) return Unauthenticated("signed with a key this server does not know");
  std::string mac;
  if (!absl::WebSafeBase64Unescape(parts[3], &mac) || mac.size() != crypto_auth_hmacsha256_BYTES) {
    return Unauthenticated("malformed signature");
  }
  const size_t signed_length = parts[0].size() + parts[1].size() + parts[2].size() + 2;
  const std::string expected = Mac(*key, token.substr(0, signed_length));
  if (sodium_memcmp(expected.data(), mac.data(), expected.size()) != 0)
    return Unauthenticated("bad signature");
  std::string payload;
  if (!absl::WebSafeBase64Unescape(parts[2], &payload)) return Unauthenticated("malformed claims");
  std::vector<absl::string_view> fields = absl::StrSplit(payload, '|');
  int role = 0;
  int64_t issued = 0;
  int64_t expires = 0;
  if (fields.size() != 4 || !absl::SimpleAtoi(fields[1], &role) ||
      !absl::SimpleAtoi(fields[2], &issued) || !absl::SimpleAtoi(fields[3], &expires) ||
      !v1::Role_IsValid(role)) {
    return Unauthenticated("malformed claims");
  }
  TokenClaims claims{std::string(fields[0]), static_cast<v1::Role>(role),
                     absl::FromUnixSeconds(issued), absl::FromUnixSeconds(expires)};
  if (now >= claims.expires) return Unauthenticated("it has expired");
  return claims;
}

}  // namespace taskgres::auth
