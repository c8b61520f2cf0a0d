#include "services/runtime/grpc/detach_keys.h"

#include <gtest/gtest.h>

namespace berth::runtime {
namespace {

TEST(DetachKeysTest, ParsesDockersSyntax) {
  EXPECT_EQ(*ParseDetachKeys(""), std::string("\x10\x11"));
  EXPECT_EQ(*ParseDetachKeys("ctrl-a,x"), std::string("\x01x"));
  EXPECT_EQ(ParseDetachKeys("none")->size(), 0u);
  EXPECT_FALSE(ParseDetachKeys("ctrl-1").ok());
  EXPECT_FALSE(ParseDetachKeys("shift-a").ok());
}

TEST(DetachKeysTest, ScannerHoldsBackAPrefixAndDetachesAcrossChunks) {
  DetachKeyScanner scanner("\x10\x11");
  std::string out;
  EXPECT_FALSE(scanner.Feed("ab\x10", out));
  EXPECT_EQ(out, "ab");
  EXPECT_FALSE(scanner.Feed("c", out));  // not the sequence: the held byte goes through
  EXPECT_EQ(out,
            "ab\x10"
            "c");
  out.clear();
  EXPECT_FALSE(scanner.Feed("x\x10", out));
  EXPECT_TRUE(scanner.Feed("\x11tail", out));
  EXPECT_EQ(out, "x");
  DetachKeyScanner none("");
  out.clear();
  EXPECT_FALSE(none.Feed("\x10\x11", out));
  EXPECT_EQ(out, "\x10\x11");
}

}  // namespace
}  // namespace berth::runtime
