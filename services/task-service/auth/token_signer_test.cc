#include "auth/token_signer.h"

#include "gtest/gtest.h"

namespace taskgres::auth {
namespace {

const std::string kSecretA(40, 'a');
const std::string kSecretB(40, 'b');
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TokenClaims Claims(const std::string& username, v1::Role role) {
  return {username, role, kNow, kNow + absl::Hours(1)};
}

TEST(TokenSignerTest, SignedTokenVerifies) {
  auto signer = TokenSigner::FromSecrets({kSecretA});
  ASSERT_TRUE(signer.ok());
  auto claims =
      signer->Verify(signer->Sign(Claims("alice", v1::ROLE_ADMIN)), kNow + absl::Minutes(5));
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->username, "alice");
  EXPECT_EQ(claims->role, v1::ROLE_ADMIN);
  EXPECT_EQ(claims->expires, kNow + absl::Hours(1));
}

TEST(TokenSignerTest, ExpiredTokenIsRejected) {
  auto signer = TokenSigner::FromSecrets({kSecretA});
  auto claims =
      signer->Verify(signer->Sign(Claims("alice", v1::ROLE_CLIENT)), kNow + absl::Hours(2));
  EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(claims.status().message().find("expired"), absl::string_view::npos);
}

TEST(TokenSignerTest, TamperedClaimsAreRejected) {
  auto signer = TokenSigner::FromSecrets({kSecretA});
  const std::string client_token = signer->Sign(Claims("mallory", v1::ROLE_CLIENT));
  const std::string admin_token = signer->Sign(Claims("mallory", v1::ROLE_ADMIN));
  // Graft the admin claims onto the client token's signature.
  const auto claims_of = [](const std::string& token) {
    const size_t a = token.find('.', 3);
    const size_t b = token.find('.', a + 1);
    return token.substr(a + 1, b - a - 1);
  };
  std::string forged = client_token;
  forged.replace(forged.find(claims_of(client_token)), claims_of(client_token).size(),
                 claims_of(admin_token));
  EXPECT_EQ(signer->Verify(forged, kNow).status().code(), absl::StatusCode::kUnauthenticated);
  for (const char* junk : {"", "v1", "v1.a.b.c", "garbage.with.four.parts", "Bearer x"}) {
    EXPECT_EQ(signer->Verify(junk, kNow).status().code(), absl::StatusCode::kUnauthenticated)
        << junk;
  }
}

TEST(TokenSignerTest, OtherKeysTokensAreRejectedAndRotationKeepsOldTokensValid) {
  auto old_signer = TokenSigner::FromSecrets({kSecretA});
  auto stranger = TokenSigner::FromSecrets({kSecretB});
  const std::string old_token = old_signer->Sign(Claims("bob", v1::ROLE_CLIENT));
  EXPECT_FALSE(stranger->Verify(old_token, kNow).ok());
  auto rotated = TokenSigner::FromSecrets({kSecretB, kSecretA});
  EXPECT_TRUE(rotated->Verify(old_token, kNow).ok());
  const std::string new_token = rotated->Sign(Claims("bob", v1::ROLE_CLIENT));
  EXPECT_TRUE(stranger->Verify(new_token, kNow).ok());  // signed with the new first key
  EXPECT_FALSE(old_signer->Verify(new_token, kNow).ok());
}

TEST(TokenSignerTest, ShortSecretsAreRefused) {
  EXPECT_FALSE(TokenSigner::FromSecrets({"short"}).ok());
  EXPECT_FALSE(TokenSigner::FromSecrets({}).ok());
}

}  // namespace
}  // namespace taskgres::auth
