#include "daemon/host_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"

namespace berth::daemon {
namespace {

using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

DaemonFlags Flags() {
  DaemonFlags flags;
  flags.root = "/var/lib/t";
  flags.state = "/run/t";
  return flags;
}

TEST(HostConfigTest, AllInOneServesEveryServiceOnOneSocket) {
  auto config = ResolveHostConfig(Flags(), DaemonConfig{});
  BERTH_ASSERT_OK(config);
  EXPECT_THAT(config->services, ElementsAre("images", "runtime", "network", "volumes"));
  EXPECT_EQ(config->socket_path, "/run/t/berthd.sock");
  EXPECT_THAT(config->listen, ElementsAre("unix:///run/t/berthd.sock"));
  for (const auto& [name, address] : config->service_addresses) {
    EXPECT_EQ(address, "unix:///run/t/berthd.sock") << name;
  }
}

TEST(HostConfigTest, SplitModeReachesOthersAtConfiguredAddresses) {
  DaemonFlags flags = Flags();
  flags.services = "runtime";
  flags.service_addresses = {"images=unix:///elsewhere/images.sock"};
  auto config = ResolveHostConfig(flags, DaemonConfig{});
  BERTH_ASSERT_OK(config);
  EXPECT_THAT(config->services, ElementsAre("runtime"));
  EXPECT_EQ(config->socket_path, "/run/t/runtime.sock");
  EXPECT_EQ(config->service_addresses["runtime"], "unix:///run/t/runtime.sock");
  EXPECT_EQ(config->service_addresses["images"], "unix:///elsewhere/images.sock");
  EXPECT_EQ(config->service_addresses["network"], "unix:///run/t/network.sock");
}

TEST(HostConfigTest, FlagsOverrideTheFile) {
  DaemonConfig file;
  file.metrics_addr = "127.0.0.1:9323";
  file.services = {"images"};
  DaemonFlags flags = Flags();
  flags.metrics_address = "127.0.0.1:0";
  flags.socket = "/tmp/x.sock";
  auto config = ResolveHostConfig(flags, file);
  BERTH_ASSERT_OK(config);
  EXPECT_EQ(config->metrics_address, "127.0.0.1:0");
  EXPECT_THAT(config->services, ElementsAre("images"));
  EXPECT_EQ(config->socket_path, "/tmp/x.sock");
}

TEST(HostConfigTest, RejectsUnknownServicesAndBadAddresses) {
  DaemonFlags flags = Flags();
  flags.services = "images,imgaes";
  EXPECT_THAT(ResolveHostConfig(flags, DaemonConfig{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("imgaes")));
  flags = Flags();
  flags.service_addresses = {"images"};
  EXPECT_THAT(ResolveHostConfig(flags, DaemonConfig{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--service-address")));
}

TEST(HostConfigTest, TcpNeedsMutualTlsOrAnExplicitInsecureFlag) {
  DaemonFlags flags = Flags();
  flags.hosts = {"tcp://127.0.0.1:0"};
  EXPECT_THAT(ResolveHostConfig(flags, DaemonConfig{}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("without mutual TLS")));
  flags.tlsverify = true;
  EXPECT_THAT(ResolveHostConfig(flags, DaemonConfig{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tlscacert")));
  flags.tlscacert = "ca.pem";
  flags.tlscert = "cert.pem";
  flags.tlskey = "key.pem";
  auto config = ResolveHostConfig(flags, DaemonConfig{});
  BERTH_ASSERT_OK(config);
  EXPECT_THAT(config->listen, ElementsAre("unix:///run/t/berthd.sock", "tcp://127.0.0.1:0"));
  ASSERT_TRUE(config->tls.has_value());

  flags = Flags();
  flags.hosts = {"tcp://127.0.0.1:0"};
  flags.allow_insecure_tcp = true;
  BERTH_EXPECT_OK(ResolveHostConfig(flags, DaemonConfig{}));
}

TEST(HostConfigTest, DefaultGroupMayBeMissingButANamedOneMustExist) {
  auto config = ResolveHostConfig(Flags(), DaemonConfig{});
  BERTH_ASSERT_OK(config);
  config->group = "berth-no-such-group-xyz";
  BERTH_EXPECT_OK(ResolveSocketGroup(*config));
  DaemonFlags flags = Flags();
  flags.group = "berth-no-such-group-xyz";
  config = ResolveHostConfig(flags, DaemonConfig{});
  BERTH_ASSERT_OK(config);
  EXPECT_THAT(ResolveSocketGroup(*config),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("berth-no-such-group-xyz")));
}

}  // namespace
}  // namespace berth::daemon
