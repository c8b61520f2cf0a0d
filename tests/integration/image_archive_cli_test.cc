// berthctl save, import and image prune against a real berthd, with skopeo reading what
// save wrote, and the images service's metrics on /metrics afterwards.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/status_matchers.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

class ImageArchiveCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto berthd = BerthdProcess::Start(dir_, {});
    ASSERT_TRUE(berthd.ok()) << berthd.status();
    berthd_ = std::move(*berthd);
  }

  // make_busybox_image.py's docker-archive named `name`, from `busybox` (a binary).
  std::string MakeImage(const std::string& file, const std::string& name,
                        const std::string& busybox = "/bin/busybox") {
    RunResult made = MakeBusyboxImage(
        dir_ / file, {"--format", "docker-archive", "--name", name, "--busybox", busybox});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    return dir_ / file;
  }

  RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {BerthctlPath(), "-H", berthd_->address()});
    return RunCommand(args);
  }
  // `command` through /bin/sh, with $CTL standing for berthctl -H <berthd>.
  RunResult Shell(const std::string& command) {
    return RunCommand({"/bin/sh", "-c", command},
                      {"CTL=" + BerthctlPath() + " -H " + berthd_->address()});
  }

  TestDir dir_;
  std::unique_ptr<BerthdProcess> berthd_;
};

TEST_F(ImageArchiveCliTest, SaveWritesAnArchiveSkopeoReadsAndLoadTakesBack) {
  RunResult load = Ctl({"load", "-i", MakeImage("busybox.tar", "busybox:latest")});
  ASSERT_EQ(load.exit_code, 0) << load.err;

  RunResult save = Ctl({"save", "-o", dir_ / "x.tar", "busybox:latest"});
  ASSERT_EQ(save.exit_code, 0) << save.err;
  EXPECT_EQ(save.out, "");
  ASSERT_TRUE(std::filesystem::exists(dir_ / "x.tar"));
  if (::access("/usr/bin/skopeo", X_OK) == 0) {
    std::ofstream(dir_ / "policy.json") << R"({"default":[{"type":"insecureAcceptAnything"}]})";
    RunResult copy = RunCommand({"/usr/bin/skopeo", "--policy", dir_ / "policy.json", "copy",
                                 "docker-archive:" + (dir_ / "x.tar"), "oci:" + (dir_ / "oci")});
    EXPECT_EQ(copy.exit_code, 0) << copy.err;
    EXPECT_TRUE(std::filesystem::exists(dir_ / "oci/index.json"));
  }

  // save to a pipe, load from it.
  RunResult round_trip = Shell("$CTL save busybox | $CTL load");
  EXPECT_EQ(round_trip.exit_code, 0) << round_trip.err;
  EXPECT_EQ(round_trip.out, "Loaded image: busybox:latest\n");

  RunResult missing = Ctl({"save", "-o", dir_ / "none.tar", "nosuchimage"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("Error response from daemon:"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "none.tar"));
}

TEST_F(ImageArchiveCliTest, ImportAppliesChangesAndPrintsTheImageId) {
  std::filesystem::create_directories(dir_ / "rootfs/bin");
  std::filesystem::copy_file("/bin/busybox", dir_ / "rootfs/bin/busybox");
  RunResult tar = RunCommand({"/bin/tar", "-C", dir_ / "rootfs", "-cf", dir_ / "rootfs.tar", "."});
  ASSERT_EQ(tar.exit_code, 0) << tar.err;

  RunResult imported = Ctl({"import", "-c", "CMD [\"sh\"]", "-c", "ENV A=b", "-m", "from a tar",
                            dir_ / "rootfs.tar", "imported:v1"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.out, MatchesRegex("sha256:[0-9a-f]{64}\n"));

  RunResult env = Ctl({"image", "inspect", "-f", "{{json .Config.Env}}", "imported:v1"});
  EXPECT_EQ(env.exit_code, 0) << env.err;
  EXPECT_THAT(env.out, HasSubstr("\"A=b\""));
  RunResult cmd = Ctl({"image", "inspect", "-f", "{{json .Config.Cmd}}", "imported:v1"});
  EXPECT_EQ(cmd.out, "[\"sh\"]\n");

  // From stdin, untagged: the ID alone names it.
  RunResult from_stdin = Shell("$CTL import - < " + (dir_ / "rootfs.tar"));
  EXPECT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_THAT(from_stdin.out, MatchesRegex("sha256:[0-9a-f]{64}\n"));
}

TEST_F(ImageArchiveCliTest, PruneRemovesDanglingImagesOnlyWhenConfirmed) {
  ASSERT_EQ(Ctl({"load", "-i", MakeImage("first.tar", "busybox:latest")}).exit_code, 0);
  RunResult first_id = Ctl({"image", "inspect", "-f", "{{.Id}}", "busybox:latest"});
  ASSERT_EQ(first_id.exit_code, 0) << first_id.err;
  // The same name on other content leaves the first image dangling.
  ASSERT_EQ(Ctl({"load", "-i", MakeImage("second.tar", "busybox:latest", "/bin/true")}).exit_code,
            0);
  RunResult dangling = Ctl({"images", "-q", "--filter", "dangling=true"});
  ASSERT_EQ(dangling.exit_code, 0) << dangling.err;
  EXPECT_EQ(dangling.out.substr(0, 12), first_id.out.substr(7, 12));

  RunResult declined = Shell("echo n | $CTL image prune");
  EXPECT_EQ(declined.exit_code, 0) << declined.err;
  EXPECT_THAT(declined.out, HasSubstr("WARNING! This will remove all dangling images.\n"
                                      "Are you sure you want to continue? [y/N] "));
  EXPECT_THAT(declined.out, Not(HasSubstr("Deleted Images:")));
  EXPECT_EQ(Ctl({"images", "-q", "--filter", "dangling=true"}).out, dangling.out);

  RunResult pruned = Ctl({"image", "prune", "-f"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_THAT(pruned.out, HasSubstr("Deleted Images:\ndeleted: " + first_id.out));
  EXPECT_THAT(pruned.out, MatchesRegex("(.|\n)*\nTotal reclaimed space: [0-9.]+[kM]?B\n"));
  EXPECT_THAT(pruned.out, Not(HasSubstr("Total reclaimed space: 0B")));
  EXPECT_EQ(Ctl({"images", "-q", "--filter", "dangling=true"}).out, "");
  EXPECT_EQ(Ctl({"image", "inspect", "-f", "{{.Id}}", "busybox:latest"}).exit_code, 0);

  // The images service's metrics agree with the disk.
  auto address = berthd_->MetricsAddress();
  BERTH_ASSERT_OK(address);
  auto metrics = HttpGet("http://" + *address + "/metrics");
  BERTH_ASSERT_OK(metrics);
  int blobs = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(berthd_->root() + "/images/content/blobs/sha256")) {
    blobs += entry.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(MetricValue(*metrics, "berth_images_content_blobs"), blobs);
  EXPECT_GT(MetricValue(*metrics, "berth_images_content_bytes"), 0);
  EXPECT_GE(MetricValue(*metrics, "berth_images_snapshots"), 1);
  EXPECT_GE(MetricValue(*metrics, "berth_images_gc_runs_total"), 1);
  EXPECT_GT(MetricValue(*metrics, "berth_images_gc_reclaimed_bytes_total"), 0);
  EXPECT_EQ(MetricValue(*metrics, "berth_images_pulled_bytes_total"), 0);
  EXPECT_EQ(MetricValue(*metrics, "berth_images_pull_duration_seconds_count", {"result=\"ok\""}),
            0);
}

TEST_F(ImageArchiveCliTest, SaveRefusesATerminalAndAllPrunesEveryImage) {
  ASSERT_EQ(Ctl({"load", "-i", MakeImage("busybox.tar", "busybox:latest")}).exit_code, 0);
  // script(1) gives berthctl a terminal for stdout.
  if (::access("/usr/bin/script", X_OK) == 0) {
    RunResult tty =
        RunCommand({"/usr/bin/script", "-qec",
                    BerthctlPath() + " -H " + berthd_->address() + " save busybox", "/dev/null"});
    EXPECT_THAT(tty.out, HasSubstr("cowardly refusing to save to a terminal. Use the -o flag or "
                                   "redirect"));
  }
  RunResult all = Ctl({"image", "prune", "-a", "-f"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("untagged: busybox:latest\ndeleted: sha256:"));
  EXPECT_EQ(Ctl({"images", "-q"}).out, "");
}

}  // namespace
}  // namespace berth::testing
