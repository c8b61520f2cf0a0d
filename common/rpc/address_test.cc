#include "common/rpc/address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"

namespace berth::rpc {
namespace {

using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

TEST(AddressTest, ParsesUnixAndTcp) {
  auto unix_addr = ParseAddress("unix:///run/berth/berthd.sock");
  BERTH_ASSERT_OK(unix_addr);
  EXPECT_EQ(unix_addr->kind, Address::Kind::kUnix);
  EXPECT_EQ(unix_addr->path, "/run/berth/berthd.sock");
  EXPECT_EQ(unix_addr->GrpcTarget(), "unix:/run/berth/berthd.sock");

  auto bare = ParseAddress("/tmp/x.sock");
  BERTH_ASSERT_OK(bare);
  EXPECT_EQ(bare->ToString(), "unix:///tmp/x.sock");

  auto tcp = ParseAddress("tcp://127.0.0.1:2376");
  BERTH_ASSERT_OK(tcp);
  EXPECT_EQ(tcp->GrpcTarget(), "127.0.0.1:2376");
  BERTH_EXPECT_OK(ParseAddress("tcp://[::1]:0"));
}

TEST(AddressTest, RejectsMalformed) {
  EXPECT_THAT(ParseAddress("unix://relative.sock"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("absolute")));
  EXPECT_THAT(ParseAddress("tcp://nohost"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host:port")));
  EXPECT_THAT(ParseAddress("tcp://h:99999"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("99999")));
  EXPECT_THAT(ParseAddress("http://x:1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http://x:1")));
}

}  // namespace
}  // namespace berth::rpc
