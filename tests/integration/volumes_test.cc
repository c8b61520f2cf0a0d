// Volumes end to end through berthctl against a private berthd: named volumes shared
// between containers, --volumes-from and the backup idiom, image VOLUME copy-up, rm -v
// and --rm, read-only binds, hostile image paths, references through a kill -9 of
// berthd, and the `volume` commands.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "tests/harness/berthd_process.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Trimmed(const std::string& text) {
  return std::string(absl::StripTrailingAsciiWhitespace(text));
}

// True when `pid` no longer runs (absent, or a zombie waiting for its new parent).
bool GoneOrZombie(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && line.compare(paren + 2, 1, "Z") == 0;
}

class VolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartBerthd();
    LoadImage("busybox:latest", {});
    // An image with content under its VOLUME, and hostile paths: a VOLUME that climbs
    // out and a symlink to "../../.." (the host's root, were it followed outside).
    LoadImage("withdata:1", {"--volume", "/data", "--file", "/data/seed.txt=from the image",
                             "--file", "/data/sub/deep.txt=deep"});
    LoadImage("hostile:1", {"--volume", "/../../etc", "--volume", "/evil", "--symlink",
                            "/evil=../../../etc", "--file", "/etc/marker=image etc"});
    LoadImage("rootlink:1", {"--volume", "/data", "--symlink", "/data=../.."});
  }

  void TearDown() override {
    RunResult ids = Ctl({"ps", "-aq"});
    for (absl::string_view id : absl::StrSplit(ids.out, '\n', absl::SkipEmpty())) {
      Ctl({"rm", "-f", "-v", std::string(id)});
    }
    RunResult volumes = Ctl({"volume", "ls", "-q"});
    for (absl::string_view name : absl::StrSplit(volumes.out, '\n', absl::SkipEmpty())) {
      Ctl({"volume", "rm", "-f", std::string(name)});
    }
    berthd_.reset();
  }

  void StartBerthd() {
    auto berthd = BerthdProcess::Start(dir_, {});
    ASSERT_TRUE(berthd.ok()) << berthd.status();
    berthd_ = std::move(*berthd);
  }

  void LoadImage(const std::string& name, std::vector<std::string> extra) {
    const std::string tar = dir_ / (name.substr(0, name.find(':')) + ".tar");
    std::vector<std::string> args = {"--format", "docker-archive", "--name", name};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult made = MakeBusyboxImage(tar, args);
    ASSERT_EQ(made.exit_code, 0) << made.err;
    RunResult load = Ctl({"load", "-i", tar});
    ASSERT_EQ(load.exit_code, 0) << load.err;
  }

  RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {BerthctlPath(), "-H", berthd_->address()});
    return RunCommand(args, {}, std::chrono::seconds(60));
  }

  nlohmann::json Inspect(const std::vector<std::string>& command) {
    RunResult inspect = Ctl(command);
    EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
    auto parsed = nlohmann::json::parse(inspect.out, nullptr, false);
    return parsed.is_array() && !parsed.empty() ? parsed[0] : nlohmann::json();
  }

  TestDir dir_;
  std::unique_ptr<BerthdProcess> berthd_;
};

TEST_F(VolumesTest, NamedVolumeCarriesDataFromOneContainerToTheNext) {
  RunResult write = Ctl({"run", "--rm", "-v", "notes:/data", "busybox", "sh", "-c",
                         "echo written by the first > /data/note"});
  ASSERT_EQ(write.exit_code, 0) << write.err;
  RunResult read = Ctl({"run", "--rm", "-v", "notes:/data", "busybox", "cat", "/data/note"});
  EXPECT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(read.out, "written by the first\n");

  // `run --rm` kept the named volume; ls, inspect and rm see it as Docker shows it.
  RunResult ls = Ctl({"volume", "ls"});
  EXPECT_THAT(ls.out, HasSubstr("DRIVER    VOLUME NAME"));
  EXPECT_THAT(ls.out, HasSubstr("local     notes"));
  nlohmann::json volume = Inspect({"volume", "inspect", "notes"});
  EXPECT_EQ(volume["Name"], "notes");
  EXPECT_EQ(volume["Driver"], "local");
  EXPECT_EQ(volume["Scope"], "local");
  EXPECT_TRUE(volume["Labels"].is_null());
  const std::string mountpoint = volume["Mountpoint"];
  EXPECT_THAT(mountpoint, HasSubstr("/notes/_data"));
  std::ifstream note(mountpoint + "/note");
  std::stringstream text;
  text << note.rdbuf();
  EXPECT_EQ(text.str(), "written by the first\n");
  EXPECT_EQ(Ctl({"volume", "rm", "notes"}).out, "notes\n");
  EXPECT_FALSE(std::filesystem::exists(mountpoint));
  RunResult again = Ctl({"volume", "rm", "notes"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("no such volume"));
}

TEST_F(VolumesTest, VolumesFromSharesAnAnonymousVolumeAndTheBackupIdiomWorks) {
  ASSERT_EQ(Ctl({"create", "-v", "/data", "--name", "store", "busybox"}).exit_code, 0);
  RunResult write = Ctl({"run", "--rm", "--volumes-from", "store", "busybox", "sh", "-c",
                         "echo kept > /data/kept.txt"});
  ASSERT_EQ(write.exit_code, 0) << write.err;
  RunResult read = Ctl({"run", "--rm", "--volumes-from", "store:ro", "busybox", "sh", "-c",
                        "cat /data/kept.txt; echo more > /data/other"});
  EXPECT_EQ(read.out, "kept\n");
  EXPECT_THAT(read.err, HasSubstr("Read-only file system"));

  const std::string backup = dir_ / "backup";
  RunResult tar = Ctl({"run", "--rm", "--volumes-from", "store", "-v", backup + ":/backup",
                       "busybox", "tar", "czf", "/backup/data.tgz", "/data"});
  ASSERT_EQ(tar.exit_code, 0) << tar.err;
  RunResult listed = RunCommand({"/bin/tar", "-tzf", backup + "/data.tgz"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("data/kept.txt"));

  // The store's one anonymous volume, shown in its Mounts and removed with rm -v.
  nlohmann::json store = Inspect({"inspect", "store"});
  ASSERT_EQ(store["Mounts"].size(), 1u) << store["Mounts"].dump();
  EXPECT_EQ(store["Mounts"][0]["Type"], "volume");
  EXPECT_EQ(store["Mounts"][0]["Destination"], "/data");
  EXPECT_EQ(store["Mounts"][0]["RW"], true);
  const std::string name = store["Mounts"][0]["Name"];
  EXPECT_EQ(name.size(), 64u);
  RunResult in_use = Ctl({"volume", "rm", name});
  EXPECT_EQ(in_use.exit_code, 1);
  EXPECT_THAT(in_use.err, HasSubstr("volume is in use"));
  ASSERT_EQ(Ctl({"rm", "-v", "store"}).exit_code, 0);
  EXPECT_THAT(Ctl({"volume", "ls", "-q"}).out, Not(HasSubstr(name)));
}

TEST_F(VolumesTest, ImageContentIsCopiedIntoNewVolumesOnlyOnce) {
  RunResult fresh =
      Ctl({"run", "--rm", "withdata:1", "cat", "/data/seed.txt", "/data/sub/deep.txt"});
  EXPECT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_EQ(fresh.out, "from the image\ndeep\n");
  // --rm removed that anonymous volume.
  EXPECT_EQ(Ctl({"volume", "ls", "-q"}).out, "");

  RunResult change = Ctl({"run", "--rm", "-v", "shared:/data", "withdata:1", "sh", "-c",
                          "echo changed > /data/seed.txt"});
  ASSERT_EQ(change.exit_code, 0) << change.err;
  RunResult second =
      Ctl({"run", "--rm", "-v", "shared:/data", "withdata:1", "cat", "/data/seed.txt"});
  EXPECT_EQ(second.out, "changed\n") << second.err;
  RunResult nocopy = Ctl({"run", "--rm", "--mount", "type=volume,dst=/data,volume-nocopy",
                          "withdata:1", "ls", "-A", "/data"});
  EXPECT_EQ(nocopy.exit_code, 0) << nocopy.err;
  EXPECT_EQ(nocopy.out, "");

  // A plain rm keeps the anonymous volume (dangling); prune removes it, not "shared".
  ASSERT_EQ(Ctl({"create", "--name", "keeper", "withdata:1"}).exit_code, 0);
  ASSERT_EQ(Ctl({"rm", "keeper"}).exit_code, 0);
  RunResult dangling = Ctl({"volume", "ls", "-q", "--filter", "dangling=true"});
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(Trimmed(dangling.out), '\n')).size(), 2u)
      << dangling.out;
  RunResult prune = Ctl({"volume", "prune", "-f"});
  EXPECT_THAT(prune.out, HasSubstr("Deleted Volumes:"));
  EXPECT_EQ(Trimmed(Ctl({"volume", "ls", "-q"}).out), "shared");
}

TEST_F(VolumesTest, BindMountsFollowDockersRules) {
  RunResult ro = Ctl({"run", "--rm", "-v", "/etc/passwd:/x:ro", "busybox", "sh", "-c",
                      "head -c 4 /x; echo; echo more >> /x"});
  EXPECT_NE(ro.exit_code, 0);
  EXPECT_EQ(ro.out, "root\n");
  EXPECT_THAT(ro.err, HasSubstr("Read-only file system"));

  const std::string made = dir_ / "made/by/v";
  RunResult create = Ctl({"run", "--rm", "-v", made + ":/m", "busybox", "touch", "/m/f"});
  EXPECT_EQ(create.exit_code, 0) << create.err;
  EXPECT_TRUE(std::filesystem::exists(made + "/f"));
  RunResult missing = Ctl({"run", "--rm", "--mount",
                           "type=bind,src=" + (dir_ / "absent") + ",dst=/a", "busybox", "true"});
  EXPECT_EQ(missing.exit_code, 125);
  EXPECT_THAT(missing.err, HasSubstr("bind source path does not exist"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "absent"));
  RunResult relative = Ctl({"run", "--rm", "-v", "./rel:/a", "busybox", "true"});
  EXPECT_EQ(relative.exit_code, 125);
  EXPECT_THAT(relative.err, HasSubstr("use absolute path"));
  RunResult tmpfs = Ctl({"run", "--rm", "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m", "busybox",
                         "sh", "-c", "grep ' /t ' /proc/mounts"});
  EXPECT_THAT(tmpfs.out, HasSubstr("tmpfs /t tmpfs"));
  EXPECT_THAT(tmpfs.out, HasSubstr("size=1024k"));
}

TEST_F(VolumesTest, HostileImagePathsAndSymlinkedTargetsStayInTheContainer) {
  // "/../../etc" is the image's /etc, and so is "/evil" (a link to "../../../etc"): the
  // image's two files were copied up, not the host's /etc.
  RunResult run = Ctl(
      {"run", "--rm", "hostile:1", "sh", "-c", "cat /etc/marker; ls /evil; wc -l < /etc/passwd"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, ::testing::StartsWith("image etc\ngroup\n"));
  EXPECT_THAT(run.out, HasSubstr("\nmarker\npasswd\n"));
  EXPECT_THAT(run.out, ::testing::EndsWith("\n2\n"));  // the image's two users
  EXPECT_THAT(run.out, Not(HasSubstr("os-release")));  // nothing of the host's /etc
  // A mount target through the image's link lands inside the rootfs.
  const std::string name = UniqueName();
  RunResult through = Ctl({"run", "--rm", "-v", "trap:/evil/" + name, "hostile:1", "sh", "-c",
                           "echo inside > /etc/" + name + "/f; cat /etc/" + name + "/f"});
  EXPECT_EQ(through.exit_code, 0) << through.err;
  EXPECT_EQ(through.out, "inside\n");
  EXPECT_FALSE(std::filesystem::exists("/etc/" + name)) << "made on the host";
  // A VOLUME that is a link to the root would hide the whole rootfs: refused, cleanly.
  RunResult root = Ctl({"run", "--rm", "rootlink:1", "true"});
  EXPECT_NE(root.exit_code, 0);
  EXPECT_THAT(root.err, HasSubstr("mount destination resolves to the container's root"));
  EXPECT_EQ(Ctl({"ps", "-aq"}).out, "");
}

TEST_F(VolumesTest, ReferencesSurviveAKill9OfBerthdAndItsContainers) {
  ASSERT_EQ(Ctl({"run", "-d", "--name", "victim", "-v", "precious:/data", "busybox", "sh", "-c",
                 "echo safe > /data/f; sleep 1000"})
                .exit_code,
            0);
  ASSERT_EQ(
      Ctl({"run", "-d", "--name", "survivor", "-v", "precious:/data", "busybox", "sleep", "1000"})
          .exit_code,
      0);
  const int victim_pid = Inspect({"inspect", "victim"})["State"]["Pid"];
  const int survivor_pid = Inspect({"inspect", "survivor"})["State"]["Pid"];
  ASSERT_GT(victim_pid, 0);
  ASSERT_GT(survivor_pid, 0);
  // berthd, the victim's init and every shim go at once; the survivor's init outlives its
  // shim until berthd, restarted, ends what no shim holds any more.
  berthd_->Stop(SIGKILL);
  std::vector<pid_t> shims = berthd_->ShimPids();
  ASSERT_EQ(shims.size(), 2u);
  for (pid_t shim : shims) ::kill(shim, SIGKILL);
  ::kill(victim_pid, SIGKILL);
  berthd_.reset();
  StartBerthd();

  EXPECT_EQ(Inspect({"inspect", "victim"})["State"]["Status"], "exited");
  EXPECT_EQ(Inspect({"inspect", "survivor"})["State"]["Status"], "exited");
  EXPECT_TRUE(GoneOrZombie(survivor_pid)) << "the survivor's init outlived its shim";
  RunResult rm = Ctl({"volume", "rm", "precious"});
  EXPECT_EQ(rm.exit_code, 1);
  EXPECT_THAT(rm.err, HasSubstr("volume is in use"));
  RunResult read = Ctl({"run", "--rm", "-v", "precious:/data", "busybox", "cat", "/data/f"});
  EXPECT_EQ(read.out, "safe\n") << read.err;
  ASSERT_EQ(Ctl({"rm", "-f", "victim", "survivor"}).exit_code, 0);
  EXPECT_EQ(Ctl({"volume", "rm", "precious"}).exit_code, 0);
}

TEST_F(VolumesTest, VolumeCommandsCheckTheirInput) {
  RunResult created = Ctl({"volume", "create", "--label", "team=a", "-o", "type=tmpfs", "-o",
                           "device=tmpfs", "-o", "o=size=2m", "ram"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.out, "ram\n");
  nlohmann::json volume = Inspect({"volume", "inspect", "ram"});
  EXPECT_EQ(volume["Labels"]["team"], "a");
  EXPECT_EQ(volume["Options"]["type"], "tmpfs");
  RunResult df =
      Ctl({"run", "--rm", "-v", "ram:/ram", "busybox", "sh", "-c", "grep ' /ram ' /proc/mounts"});
  EXPECT_THAT(df.out, HasSubstr("size=2048k")) << df.err;
  EXPECT_EQ(Trimmed(Ctl({"volume", "ls", "-q", "--filter", "label=team=a"}).out), "ram");
  EXPECT_EQ(Ctl({"volume", "ls", "-q", "--filter", "label=team=b"}).out, "");

  RunResult bad_name = Ctl({"volume", "create", "no/slash"});
  EXPECT_EQ(bad_name.exit_code, 1);
  EXPECT_THAT(bad_name.err, HasSubstr("includes invalid characters for a local volume name"));
  RunResult bad_opt = Ctl({"volume", "create", "-o", "colour=red", "paint"});
  EXPECT_EQ(bad_opt.exit_code, 1);
  EXPECT_THAT(bad_opt.err, HasSubstr("invalid option"));
  RunResult bad_filter = Ctl({"volume", "ls", "--filter", "colour=red"});
  EXPECT_EQ(bad_filter.exit_code, 1);
  EXPECT_THAT(bad_filter.err, HasSubstr("invalid filter 'colour'"));
  RunResult missing = Ctl({"volume", "inspect", "nothing-here"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no such volume"));
}

}  // namespace
}  // namespace berth::testing
