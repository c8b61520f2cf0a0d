#include "services/network/core/port_bindings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "common/status_matchers.h"

namespace berth::network {
namespace {

using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Every port free except those in `busy`.
PortProbe FreeExcept(std::set<uint16_t> busy) {
  return
      [busy](const std::string&, uint16_t port, const std::string&) { return !busy.count(port); };
}

PortRequest Request(std::string ip, uint16_t host, uint16_t host_end, uint16_t container,
                    uint16_t container_end = 0, std::string protocol = "tcp") {
  PortRequest r;
  r.host_ip = std::move(ip);
  r.host_port = host;
  r.host_port_end = host_end;
  r.container_port = container;
  r.container_port_end = container_end;
  r.protocol = std::move(protocol);
  return r;
}

TEST(PortBindingsTest, FixedEphemeralAndRanges) {
  PortPlan plan;
  plan.ephemeral = {40000, 40010};
  plan.requests = {Request("127.0.0.1", 8080, 0, 80), Request("", 0, 0, 53, 0, "udp"),
                   Request("", 9000, 9001, 90, 91)};
  auto bound = BindPorts(plan, FreeExcept({40000}));
  BERTH_ASSERT_OK(bound);
  EXPECT_THAT(
      *bound,
      ElementsAre(PortBinding{"127.0.0.1", 8080, 80, "tcp"}, PortBinding{"", 40001, 53, "udp"},
                  PortBinding{"", 9000, 90, "tcp"}, PortBinding{"", 9001, 91, "tcp"}));
}

TEST(PortBindingsTest, HostRangePicksOneFreePort) {
  PortPlan plan;
  plan.requests = {Request("", 8000, 8005, 80)};
  auto bound = BindPorts(plan, FreeExcept({8000, 8001}));
  BERTH_ASSERT_OK(bound);
  EXPECT_THAT(*bound, ElementsAre(PortBinding{"", 8002, 80, "tcp"}));
}

TEST(PortBindingsTest, ConflictsAreRefused) {
  PortPlan plan;
  plan.requests = {Request("", 8080, 0, 80)};
  EXPECT_THAT(BindPorts(plan, FreeExcept({8080})),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("Bind for 0.0.0.0:8080 failed: port is already allocated")));
  plan.in_use = {PortBinding{"127.0.0.1", 8080, 80, "tcp"}};
  EXPECT_FALSE(BindPorts(plan, FreeExcept({})).ok());
  plan.requests = {Request("127.0.0.2", 8080, 0, 80)};
  EXPECT_TRUE(BindPorts(plan, FreeExcept({})).ok());
  plan.requests = {Request("", 8080, 0, 80, 0, "udp")};
  EXPECT_TRUE(BindPorts(plan, FreeExcept({})).ok());
}

TEST(PortBindingsTest, PublishAllMapsExposedPortsNotPublishedYet) {
  PortPlan plan;
  plan.ephemeral = {32768, 32800};
  plan.requests = {Request("", 8080, 0, 80)};
  plan.publish_all = true;
  plan.exposed = {"80/tcp", "2222", "53/udp"};
  auto bound = BindPorts(plan, FreeExcept({}));
  BERTH_ASSERT_OK(bound);
  EXPECT_THAT(*bound,
              ElementsAre(PortBinding{"", 8080, 80, "tcp"}, PortBinding{"", 32768, 2222, "tcp"},
                          PortBinding{"", 32768, 53, "udp"}));
}

TEST(PortBindingsTest, MismatchedRangesAreInvalid) {
  PortPlan plan;
  plan.requests = {Request("", 8000, 8002, 80, 81)};
  EXPECT_THAT(BindPorts(plan, FreeExcept({})), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(ParseExposedPort("80/icmp").ok());
}

}  // namespace
}  // namespace berth::network
