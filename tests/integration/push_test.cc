// berthctl push to a real docker-registry on 127.0.0.1 of a busybox image loaded from an
// archive built here; skopeo (an independent consumer) reads what was pushed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "common/status_matchers.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/registry_process.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class PushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/skopeo", X_OK) != 0) GTEST_SKIP() << "skopeo is not installed";
    auto registry = RegistryProcess::Start();
    if (registry.status().code() == absl::StatusCode::kNotFound) GTEST_SKIP() << registry.status();
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::move(*registry);
    std::ofstream(dir_ / "policy.json") << R"({"default":[{"type":"insecureAcceptAnything"}]})";
    auto berthd = BerthdProcess::Start(dir_, {});
    ASSERT_TRUE(berthd.ok()) << berthd.status();
    berthd_ = std::move(*berthd);
  }

  RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {BerthctlPath(), "-H", berthd_->address()});
    return RunCommand(args);
  }

  TestDir dir_;
  std::unique_ptr<RegistryProcess> registry_;
  std::unique_ptr<BerthdProcess> berthd_;
};

TEST_F(PushTest, PushesALoadedImageThatSkopeoReads) {
  const std::string name = registry_->host() + "/library/busybox:v1";
  RunResult archive =
      MakeBusyboxImage(dir_ / "busybox.tar", {"--format", "docker-archive", "--name", name});
  ASSERT_EQ(archive.exit_code, 0) << archive.err;
  RunResult loaded = Ctl({"load", "-i", dir_ / "busybox.tar"});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;

  RunResult pushed = Ctl({"push", name});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  EXPECT_THAT(pushed.out, StartsWith("The push refers to repository [" + registry_->host() +
                                     "/library/busybox]\n"));
  EXPECT_THAT(pushed.out, HasSubstr(": Preparing\n"));
  EXPECT_THAT(pushed.out, HasSubstr(": Pushed\n"));
  std::smatch match;
  ASSERT_TRUE(std::regex_search(
      pushed.out, match, std::regex("\nv1: digest: (sha256:[0-9a-f]{64}) size: ([0-9]+)\n$")))
      << pushed.out;
  const std::string digest = match[1];
  const std::string size = match[2];

  // skopeo sees the digest berthctl printed and can copy the image out.
  RunResult inspect =
      RunCommand({"/usr/bin/skopeo", "inspect", "--tls-verify=false", "docker://" + name});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_THAT(inspect.out, HasSubstr("\"Digest\": \"" + digest + "\""));
  RunResult copy = RunCommand({"/usr/bin/skopeo", "--policy", dir_ / "policy.json", "copy",
                               "--src-tls-verify=false", "docker://" + name,
                               "oci:" + (dir_ / "copied") + ":v1"});
  ASSERT_EQ(copy.exit_code, 0) << copy.err;

  // Again: the registry has every layer.
  RunResult again = Ctl({"push", name});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr(": Layer already exists\n"));
  EXPECT_THAT(again.out, Not(HasSubstr(": Pushed\n")));
  EXPECT_THAT(again.out, EndsWith("\nv1: digest: " + digest + " size: " + size + "\n"));

  // Under another name on the same registry the layers are mounted, not uploaded.
  const std::string other = registry_->host() + "/team/busybox";
  RunResult tagged = Ctl({"tag", name, other});
  ASSERT_EQ(tagged.exit_code, 0) << tagged.err;
  RunResult mounted = Ctl({"push", other});
  ASSERT_EQ(mounted.exit_code, 0) << mounted.err;
  EXPECT_THAT(mounted.out, StartsWith("Using default tag: latest\n"));
  EXPECT_THAT(mounted.out, HasSubstr(": Mounted from library/busybox\n"));
  EXPECT_THAT(mounted.out, EndsWith("\nlatest: digest: " + digest + " size: " + size + "\n"));

  RunResult quiet = Ctl({"push", "-q", name});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out, name + "\n");
}

TEST_F(PushTest, NameWithoutALocalImageFailsAsDockerSays) {
  const std::string name = registry_->host() + "/library/nothing";
  RunResult missing = Ctl({"push", name + ":v1"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "An image does not exist locally with the tag: " + name + "\n");

  RunResult no_arg = Ctl({"push"});
  EXPECT_EQ(no_arg.exit_code, 125);
}

}  // namespace
}  // namespace berth::testing
