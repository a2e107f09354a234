#include "lsn/lsn.h"

#include "gtest/gtest.h"

namespace taskgres {
namespace {

TEST(LsnTest, ParsesPostgresTextForm) {
  EXPECT_EQ(ParseLsn("0/16B3748"), 0x16B3748u);
  EXPECT_EQ(ParseLsn("16/B374D848"), (uint64_t{0x16} << 32) | 0xB374D848u);
  EXPECT_EQ(ParseLsn("FFFFFFFF/FFFFFFFF"), ~uint64_t{0});
}

TEST(LsnTest, RejectsMalformedText) {
  for (const char* bad :
       {"", "/", "0/", "/1", "0x1/2", "1/2/3", "G/1", "123456789/1", "-1/2", " 1/2"}) {
    EXPECT_FALSE(ParseLsn(bad).has_value()) << bad;
  }
}

TEST(LsnTest, FormatsRoundTrip) {
  EXPECT_EQ(FormatLsn(0x16B3748), "0/16B3748");
  for (uint64_t lsn : {uint64_t{0}, uint64_t{1}, (uint64_t{0xAB} << 32) | 0xCD, ~uint64_t{0}}) {
    EXPECT_EQ(ParseLsn(FormatLsn(lsn)), lsn);
  }
}

}  // namespace
}  // namespace taskgres
