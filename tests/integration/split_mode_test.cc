// Four berthd processes, one service each, reaching each other only over gRPC at
// their configured addresses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/status_matchers.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

class SplitModeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<std::string> names = {"images", "runtime", "network", "volumes"};
    std::vector<std::string> addresses;
    for (const std::string& name : names) {
      addresses.push_back(absl::StrCat(name, "=unix://", dir_ / name, "/", name, ".sock"));
    }
    for (const std::string& name : names) {
      BerthdOptions options;
      options.name = name;
      options.services = {name};
      for (const std::string& address : addresses) {
        options.args.push_back("--service-address");
        options.args.push_back(address);
      }
      auto started = BerthdProcess::Start(dir_, options);
      BERTH_ASSERT_OK(started);
      daemons_[name] = *std::move(started);
    }
  }

  TestDir dir_;
  std::map<std::string, std::unique_ptr<BerthdProcess>> daemons_;
};

TEST_F(SplitModeTest, EachHostAnswersForAllFourServices) {
  for (const auto& [host, daemon] : daemons_) {
    auto version = daemon->Version();
    BERTH_ASSERT_OK(version);
    ASSERT_EQ(version->services_size(), 4) << host;
    for (const auto& s : version->services()) {
      EXPECT_EQ(s.local(), s.name() == host) << host << " " << s.name();
      EXPECT_TRUE(s.error().empty()) << host << " " << s.name() << ": " << s.error();
      EXPECT_EQ(s.version(), version->version());
      EXPECT_EQ(s.address(), daemons_[s.name()]->address());
    }
  }
}

TEST_F(SplitModeTest, InfoDetailsComeFromThePeerThatHostsTheService) {
  auto info = daemons_["volumes"]->Info();
  BERTH_ASSERT_OK(info);
  for (const auto& s : info->services()) {
    EXPECT_TRUE(s.reachable()) << s.name() << ": " << s.error();
    if (s.name() == "images") {
      EXPECT_TRUE(s.details().contains("storage_driver"));
    }
    if (s.name() == "runtime") {
      EXPECT_EQ(s.details().at("cgroup_parent"), daemons_["runtime"]->cgroup_parent());
    }
  }
}

TEST_F(SplitModeTest, BerthctlListsTheFourServicesThroughOneHost) {
  RunResult ctl = RunCommand({BerthctlPath(), "-H", daemons_["runtime"]->address(), "version"});
  ASSERT_EQ(ctl.exit_code, 0) << ctl.err;
  for (const auto& [name, daemon] : daemons_) {
    EXPECT_THAT(ctl.out, HasSubstr(" " + name + ":\n"));
    EXPECT_THAT(ctl.out, HasSubstr(daemon->address()));
  }
  EXPECT_THAT(ctl.out, ::testing::Not(HasSubstr("unreachable")));
}

TEST_F(SplitModeTest, EachProcessExportsMetricsAndPeersCallsAreCounted) {
  const std::vector<std::string> peer_version = {"grpc_service=\"berth.system.v1.System\"",
                                                 "grpc_method=\"Version\""};
  auto images_metrics = daemons_["images"]->MetricsAddress();
  BERTH_ASSERT_OK(images_metrics);
  auto before = HttpGet("http://" + *images_metrics + "/metrics");
  BERTH_ASSERT_OK(before);
  // Each process carries the series of the services it hosts, and only those.
  EXPECT_GE(MetricValue(*before, "grpc_server_started_total",
                        {"grpc_service=\"berth.images.v1.Content\""}),
            0);
  EXPECT_EQ(MetricValue(*before, "grpc_server_started_total",
                        {"grpc_service=\"berth.runtime.v1.Tasks\""}),
            -1);
  EXPECT_GT(MetricValue(*before, "process_resident_memory_bytes"), 0);

  // `berthctl version` against runtime makes runtime ask images over gRPC.
  double asked = MetricValue(*before, "grpc_server_started_total", peer_version);
  RunResult ctl = RunCommand({BerthctlPath(), "-H", daemons_["runtime"]->address(), "version"});
  ASSERT_EQ(ctl.exit_code, 0) << ctl.err;
  auto after = HttpGet("http://" + *images_metrics + "/metrics");
  BERTH_ASSERT_OK(after);
  EXPECT_EQ(MetricValue(*after, "grpc_server_started_total", peer_version), asked + 1);
}

TEST_F(SplitModeTest, AStoppedPeerIsReportedUnreachable) {
  EXPECT_EQ(daemons_["network"]->Stop(), 0);
  auto version = daemons_["images"]->Version();
  BERTH_ASSERT_OK(version);
  for (const auto& s : version->services()) {
    if (s.name() == "network") {
      EXPECT_FALSE(s.error().empty());
    } else {
      EXPECT_TRUE(s.error().empty()) << s.name() << ": " << s.error();
    }
  }
  RunResult ctl = RunCommand({BerthctlPath(), "-H", daemons_["images"]->address(), "info"});
  EXPECT_EQ(ctl.exit_code, 1);
  EXPECT_THAT(ctl.out, HasSubstr("network  UNREACHABLE"));
}

TEST_F(SplitModeTest, AContainerStartSaysTheNetworkServiceIsUnreachable) {
  RunResult made = MakeBusyboxImage(dir_ / "busybox.tar",
                                    {"--format", "docker-archive", "--name", "busybox:latest"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const BerthdProcess& runtime = *daemons_["runtime"];
  ASSERT_EQ(daemons_["images"]->Ctl({"load", "-i", dir_ / "busybox.tar"}).exit_code, 0);
  EXPECT_EQ(daemons_["network"]->Stop(), 0);
  // Within a few seconds, not the whole call timeout; the container goes with --rm.
  RunResult run = runtime.Ctl({"run", "--rm", "busybox", "true"}, std::chrono::seconds(40));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.err, HasSubstr("the network service at unix://"));
  EXPECT_THAT(run.err, HasSubstr("is not reachable"));
  EXPECT_EQ(runtime.Ctl({"ps", "-aq"}).out, "");
}

}  // namespace
}  // namespace berth::testing
