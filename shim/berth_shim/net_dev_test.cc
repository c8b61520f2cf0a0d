#include "shim/berth_shim/net_dev.h"

#include <gtest/gtest.h>

namespace berth::shim {
namespace {

TEST(ParseNetDevTest, EveryInterfaceButLoopback) {
  const std::string text =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "    lo:    1234      10    0    0    0     0          0         0     1234      10    0 "
      "   0    0     0       0          0\n"
      "  eth0:  987654     321    1    2    0     0          0         0    12345     123    3 "
      "   4    0     0       0          0\n"
      "  eth1: garbage\n";
  std::vector<types::v1::NetworkInterfaceStats> stats = ParseNetDev(text);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].name(), "eth0");
  EXPECT_EQ(stats[0].rx_bytes(), 987654u);
  EXPECT_EQ(stats[0].rx_packets(), 321u);
  EXPECT_EQ(stats[0].rx_errors(), 1u);
  EXPECT_EQ(stats[0].rx_dropped(), 2u);
  EXPECT_EQ(stats[0].tx_bytes(), 12345u);
  EXPECT_EQ(stats[0].tx_packets(), 123u);
  EXPECT_EQ(stats[0].tx_errors(), 3u);
  EXPECT_EQ(stats[0].tx_dropped(), 4u);
}

}  // namespace
}  // namespace berth::shim
