#include "services/images/core/registry_hosts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"

namespace berth::images {
namespace {

using ::berth::testing::StatusIs;
using ::testing::ElementsAre;

TEST(RegistryHostsTest, LoopbackIsInsecureByDefault) {
  auto hosts = RegistryHosts::Create({}, {});
  ASSERT_TRUE(hosts.ok());
  EXPECT_TRUE(hosts->IsInsecure("localhost:5000"));
  EXPECT_TRUE(hosts->IsInsecure("127.0.0.1:5000"));
  EXPECT_TRUE(hosts->IsInsecure("127.1.2.3"));
  EXPECT_TRUE(hosts->IsInsecure("[::1]:5000"));
  EXPECT_FALSE(hosts->IsInsecure("registry.example.com"));
  EXPECT_FALSE(hosts->IsInsecure("10.0.0.1:5000"));
}

TEST(RegistryHostsTest, InsecureHostsAndCidrs) {
  auto hosts = RegistryHosts::Create({}, {"reg.internal:5000", "10.0.0.0/8", "fd00::/8"});
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  EXPECT_TRUE(hosts->IsInsecure("reg.internal:5000"));
  EXPECT_FALSE(hosts->IsInsecure("reg.internal:6000"));
  EXPECT_TRUE(hosts->IsInsecure("10.20.30.40:5000"));
  EXPECT_FALSE(hosts->IsInsecure("11.0.0.1"));
  EXPECT_TRUE(hosts->IsInsecure("[fd12::1]:5000"));
  EXPECT_TRUE(hosts->ConfigFor("10.1.1.1").insecure);
}

TEST(RegistryHostsTest, MirrorsApplyToDockerHubOnly) {
  auto hosts = RegistryHosts::Create({"https://mirror.example/"}, {});
  ASSERT_TRUE(hosts.ok());
  EXPECT_THAT(hosts->ConfigFor("docker.io").mirrors, ElementsAre("https://mirror.example"));
  EXPECT_TRUE(hosts->ConfigFor("quay.io").mirrors.empty());
}

TEST(RegistryHostsTest, BadEntriesAreRefused) {
  EXPECT_THAT(RegistryHosts::Create({"mirror.example"}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RegistryHosts::Create({}, {"10.0.0.0/33"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RegistryHosts::Create({}, {"nothost/8"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RegistryHostsTest, HostWithoutPort) {
  EXPECT_EQ(HostWithoutPort("a.b:5000"), "a.b");
  EXPECT_EQ(HostWithoutPort("[::1]:5000"), "::1");
  EXPECT_EQ(HostWithoutPort("::1"), "::1");
  EXPECT_EQ(HostWithoutPort("a"), "a");
}

}  // namespace
}  // namespace berth::images
