#include "services/network/core/ipv4_subnet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "common/status_matchers.h"

namespace berth::network {
namespace {

using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

TEST(Ipv4SubnetTest, ParsesAndFormats) {
  auto subnet = ParseIpv4Subnet("10.88.0.1/16");
  BERTH_ASSERT_OK(subnet);
  EXPECT_EQ(subnet->ToString(), "10.88.0.0/16");
  EXPECT_EQ(subnet->AddressWithPrefix(), "10.88.0.1/16");
  EXPECT_EQ(FormatIpv4(subnet->Broadcast()), "10.88.255.255");
  EXPECT_THAT(ParseIpv4Subnet("10.1.2.3/16", true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("should be 10.1.0.0/16")));
  EXPECT_FALSE(ParseIpv4Subnet("10.1.2.0").ok());
  EXPECT_FALSE(ParseIpv4Subnet("10.1.2.0/33").ok());
  EXPECT_FALSE(ParseIpv4Subnet("300.1.2.0/24").ok());
}

TEST(Ipv4SubnetTest, Overlaps) {
  auto a = *ParseIpv4Subnet("172.30.0.0/16");
  auto b = *ParseIpv4Subnet("172.30.5.0/24");
  auto c = *ParseIpv4Subnet("172.31.0.0/16");
  EXPECT_TRUE(a.Overlaps(b));
  EXPECT_TRUE(b.Overlaps(a));
  EXPECT_FALSE(a.Overlaps(c));
}

TEST(Ipv4SubnetTest, PicksTheFirstFreePoolAsDocker) {
  std::vector<Ipv4Subnet> pools = DefaultSubnetPools();
  EXPECT_EQ(pools.front().ToString(), "172.17.0.0/16");
  EXPECT_EQ(pools[15].ToString(), "192.168.0.0/20");
  auto picked =
      PickFreeSubnet(pools, {*ParseIpv4Subnet("172.17.0.0/16"), *ParseIpv4Subnet("172.18.3.0/24")});
  BERTH_ASSERT_OK(picked);
  EXPECT_EQ(picked->ToString(), "172.19.0.0/16");
  EXPECT_THAT(PickFreeSubnet(pools, {*ParseIpv4Subnet("0.0.0.0/0")}),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(Ipv4SubnetTest, ReadsHostRoutes) {
  const std::string path = ::testing::TempDir() + "/route-" + std::to_string(::getpid());
  std::ofstream(path) << "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
                         "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\n"
                         "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n";
  auto routes = HostRoutedSubnets(path);
  std::remove(path.c_str());
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].ToString(), "192.168.1.0/24");
}

}  // namespace
}  // namespace berth::network
