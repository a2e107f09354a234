#include "auth/password_hasher.h"

#include "gtest/gtest.h"

namespace taskgres::auth {
namespace {

TEST(PasswordHasherTest, HashesWithArgon2idAndVerifies) {
  PasswordHasher hasher(2, size_t{19} * 1024);
  auto hash = hasher.Hash("correct horse battery");
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_EQ(hash->find("correct horse"), std::string::npos);
  EXPECT_TRUE(hasher.Verify("correct horse battery", *hash));
  EXPECT_FALSE(hasher.Verify("correct horse batterY", *hash));
  EXPECT_NE(*hasher.Hash("correct horse battery"), *hash);  // salted
}

TEST(PasswordHasherTest, DecoyHashIsValidButMatchesNothingGuessable) {
  PasswordHasher hasher(2, size_t{19} * 1024);
  ASSERT_EQ(hasher.decoy_hash().rfind("$argon2id$", 0), 0u);
  EXPECT_FALSE(hasher.Verify("password", hasher.decoy_hash()));
}

}  // namespace
}  // namespace taskgres::auth
