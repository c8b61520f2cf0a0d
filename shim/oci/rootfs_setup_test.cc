#include "shim/oci/rootfs_setup.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/status_matchers.h"
#include "shim/oci/rootfs_plan.h"

namespace berth::oci {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

// Records the setup calls instead of making them (the test needs no root).
class RecordingSyscalls final : public Syscalls {
 public:
  struct Call {
    Call(std::string name, std::string target, std::string fstype, unsigned long flags,
         std::string source = "")
        : name(std::move(name)),
          target(std::move(target)),
          fstype(std::move(fstype)),
          flags(flags),
          source(std::move(source)) {}
    std::string name, target, fstype;
    unsigned long flags = 0;
    std::string source;  // of a mount
  };
  std::vector<Call> calls;

  int Mount(const char* source, const char* target, const char* fstype, unsigned long flags,
            const char*) override {
    calls.push_back(
        {"mount", target ? target : "", fstype ? fstype : "", flags, source ? source : ""});
    return 0;
  }
  int MountSetattr(int, bool recursive, uint64_t attr_set, uint64_t) override {
    calls.push_back({recursive ? "mount_setattr_recursive" : "mount_setattr", "", "", attr_set});
    return 0;
  }
  int Umount(const char* target, int) override {
    calls.push_back({"umount", target, "", 0});
    return 0;
  }
  int PivotRoot(const char* new_root, const char*) override {
    calls.push_back({"pivot_root", new_root, "", 0});
    return 0;
  }
  int Fchdir(int) override {
    calls.push_back({"fchdir", "", "", 0});
    return 0;
  }
  int Chdir(const char* path) override {
    calls.push_back({"chdir", path, "", 0});
    return 0;
  }
  int Mknodat(int dir_fd, const char* name, mode_t mode, dev_t) override {
    calls.push_back({"mknod", name, "", 0});
    // A plain file stands in for the node: the test runs without root.
    int fd = ::openat(dir_fd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    ::close(fd);
    return 0;
  }
  int Symlinkat(const char* target, int dir_fd, const char* name) override {
    calls.push_back({"symlink", name, target, 0});
    return 0;
  }
  int Sethostname(const char* name, size_t) override {
    calls.push_back({"sethostname", name, "", 0});
    return 0;
  }
  int Setdomainname(const char* name, size_t) override {
    calls.push_back({"setdomainname", name, "", 0});
    return 0;
  }
  int Personality(unsigned long persona) override {
    calls.push_back({"personality", "", "", persona});
    return 0;
  }
  long JoinSessionKeyring(const char* name, uint32_t permissions) override {
    calls.push_back({"keyring", name, "", permissions});
    return 1;
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const Call& c : calls) names.push_back(c.name);
    return names;
  }
};

class RootfsSetupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-rootfs-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/rootfs/bin");
    std::filesystem::create_directories(dir_ + "/outside");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  RootfsPlan Plan(std::vector<Mount> mounts) {
    Spec spec;
    spec.root.path = "rootfs";
    spec.hostname = "box";
    spec.mounts = std::move(mounts);
    spec.linux_config.masked_paths = {"/proc/keys"};
    auto plan = PlanRootfs(spec, dir_);
    EXPECT_TRUE(plan.ok()) << plan.status();
    return *std::move(plan);
  }

  std::string dir_;
};

TEST_F(RootfsSetupTest, MountsThroughResolvedFdsThenPivots) {
  RootfsPlan plan =
      Plan({{"/proc", "proc", "proc", {"nosuid"}}, {"/dev", "tmpfs", "tmpfs", {"mode=755"}}});
  RecordingSyscalls sys;
  ChildError error;
  ASSERT_EQ(SetupRootfs(plan, /*no_pivot=*/false, sys, &error), 0) << error.message;

  // Root propagation, rootfs bind, then the spec's mounts on /proc/self/fd paths.
  ASSERT_GE(sys.calls.size(), 4u);
  EXPECT_EQ(sys.calls[0].target, "/");
  EXPECT_EQ(sys.calls[0].flags, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_EQ(sys.calls[1].flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_EQ(sys.calls[2].fstype, "proc");
  EXPECT_THAT(sys.calls[2].target, StartsWith("/proc/self/fd/"));
  EXPECT_EQ(sys.calls[3].fstype, "tmpfs");
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/rootfs/proc"));
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/rootfs/dev"));

  // Devices and links under /dev, hostname, then pivot_root and the old root detached.
  std::vector<std::string> names = sys.Names();
  auto pivot = std::find(names.begin(), names.end(), "pivot_root");
  ASSERT_NE(pivot, names.end());
  EXPECT_THAT(std::vector<std::string>(pivot, names.end()),
              ElementsAre("pivot_root", "mount", "umount", "chdir"));
  EXPECT_EQ(std::count(names.begin(), pivot, "mknod"), 6);
  EXPECT_EQ(std::count(names.begin(), pivot, "symlink"), 5);
  EXPECT_NE(std::find(names.begin(), pivot, "sethostname"), pivot);
}

TEST_F(RootfsSetupTest, MountPointBehindAnAbsoluteLinkIsMadeInsideTheRoot) {
  std::filesystem::create_symlink(dir_ + "/outside/target", dir_ + "/rootfs/data");
  RootfsPlan plan = Plan({{"/data", "tmpfs", "tmpfs", {}}});
  RecordingSyscalls sys;
  ChildError error;
  ASSERT_EQ(SetupRootfs(plan, false, sys, &error), 0) << error.message;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/outside/target"));
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/rootfs" + dir_ + "/outside/target"));
}

TEST_F(RootfsSetupTest, DestinationResolvingToTheRootIsRefused) {
  // An image's `/data -> ../..`: in-root resolution makes it the root itself.
  std::filesystem::create_symlink("../..", dir_ + "/rootfs/data");
  RootfsPlan plan = Plan({{"/data", "tmpfs", "tmpfs", {}}});
  RecordingSyscalls sys;
  ChildError error;
  EXPECT_EQ(SetupRootfs(plan, false, sys, &error), -EINVAL);
  EXPECT_THAT(std::string(error.message),
              StartsWith("mount destination resolves to the container's root: /data"));
  for (const auto& call : sys.calls) EXPECT_NE(call.fstype, "tmpfs");
}

TEST_F(RootfsSetupTest, RecursiveAttributesFollowTheMountAndItsPropagation) {
  std::filesystem::create_directories(dir_ + "/outside/tree");
  RootfsPlan plan =
      Plan({{"/tree", "bind", dir_ + "/outside/tree", {"rbind", "rprivate", "rnoexec", "rnosuid"}},
            {"/plain", "bind", dir_ + "/outside/tree", {"rbind"}}});
  RecordingSyscalls sys;
  ChildError error;
  ASSERT_EQ(SetupRootfs(plan, false, sys, &error), 0) << error.message;
  ASSERT_GE(sys.calls.size(), 6u);
  EXPECT_EQ(sys.calls[2].flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_EQ(sys.calls[3].flags, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(sys.calls[4].name, "mount_setattr_recursive");
  EXPECT_EQ(sys.calls[4].flags, static_cast<unsigned long>(MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID));
  EXPECT_EQ(sys.calls[5].name, "mount");  // /plain: no attributes, no mount_setattr
  EXPECT_EQ(sys.calls[6].name, "sethostname");
}

TEST_F(RootfsSetupTest, BindIsRemountedWithTheFlagsItAskedFor) {
  std::filesystem::create_directories(dir_ + "/outside/tree");
  RootfsPlan plan =
      Plan({{"/locked", "bind", dir_ + "/outside/tree", {"rbind", "nosuid", "nodev", "noexec"}},
            {"/ro", "bind", dir_ + "/outside/tree", {"bind", "ro"}},
            {"/plain", "bind", dir_ + "/outside/tree", {"rbind"}}});
  RecordingSyscalls sys;
  ChildError error;
  ASSERT_EQ(SetupRootfs(plan, false, sys, &error), 0) << error.message;
  ASSERT_GE(sys.calls.size(), 7u);
  const unsigned long remount = MS_BIND | MS_REMOUNT;
  EXPECT_EQ(sys.calls[2].flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_EQ(sys.calls[3].flags & (remount | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY),
            remount | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  EXPECT_EQ(sys.calls[4].flags, static_cast<unsigned long>(MS_BIND));
  EXPECT_EQ(sys.calls[5].flags & (remount | MS_RDONLY), remount | MS_RDONLY);
  EXPECT_EQ(sys.calls[6].flags, static_cast<unsigned long>(MS_BIND | MS_REC));  // no remount
  EXPECT_EQ(sys.calls[7].name, "sethostname");
}

TEST_F(RootfsSetupTest, CgroupViewIsBoundInItsTmpfsWhichTurnsReadOnlyLast) {
  RootfsPlan plan = Plan({});
  MountStep tmpfs;
  tmpfs.source = "tmpfs";
  tmpfs.fstype = "tmpfs";
  tmpfs.destination = "/sys/fs/cgroup";
  tmpfs.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  tmpfs.cgroup_view = true;
  tmpfs.cgroup_view_readonly = true;
  plan.mounts.push_back(tmpfs);
  plan.cgroup_view.binds = {{"cpu,cpuacct", "/host/cpu,cpuacct/c1"}, {"memory", "/host/memory/c1"}};
  plan.cgroup_view.links = {{"cpu", "cpu,cpuacct"}, {"cpuacct", "cpu,cpuacct"}};
  RecordingSyscalls sys;
  ChildError error;
  ASSERT_EQ(SetupRootfs(plan, false, sys, &error), 0) << error.message;

  const unsigned long kept = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  const unsigned long readonly = MS_BIND | MS_REMOUNT | MS_RDONLY;
  ASSERT_GE(sys.calls.size(), 10u);
  EXPECT_EQ(sys.calls[2].fstype, "tmpfs");
  EXPECT_EQ(sys.calls[2].flags, kept);  // writable until the binds are in
  EXPECT_EQ(sys.calls[3].source, "/host/cpu,cpuacct/c1");
  EXPECT_EQ(sys.calls[3].flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_EQ(sys.calls[4].flags & (readonly | kept), readonly | kept);
  EXPECT_EQ(sys.calls[5].source, "/host/memory/c1");
  EXPECT_EQ(sys.calls[6].flags & (readonly | kept), readonly | kept);
  EXPECT_EQ(sys.calls[7].name, "symlink");
  EXPECT_EQ(sys.calls[7].target, "cpu");
  EXPECT_EQ(sys.calls[7].fstype, "cpu,cpuacct");  // the fake keeps a link's target there
  EXPECT_EQ(sys.calls[8].target, "cpuacct");
  EXPECT_EQ(sys.calls[9].name, "mount");  // the tmpfs itself, read-only
  EXPECT_THAT(sys.calls[9].target, StartsWith("/proc/self/fd/"));
  EXPECT_EQ(sys.calls[9].source, "");
  EXPECT_EQ(sys.calls[9].flags & (readonly | kept), readonly | kept);
  EXPECT_EQ(sys.calls[10].name, "sethostname");
  // Mount points made inside the rootfs, named as the host names the hierarchies.
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/rootfs/sys/fs/cgroup/cpu,cpuacct"));
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/rootfs/sys/fs/cgroup/memory"));
}

TEST_F(RootfsSetupTest, WritableCgroupViewIsNotRemounted) {
  RootfsPlan plan = Plan({});
  MountStep tmpfs;
  tmpfs.source = "tmpfs";
  tmpfs.fstype = "tmpfs";
  tmpfs.destination = "/sys/fs/cgroup";
  tmpfs.cgroup_view = true;
  plan.mounts.push_back(tmpfs);
  plan.cgroup_view.binds = {{"pids", "/host/pids/c1"}};
  RecordingSyscalls sys;
  ChildError error;
  ASSERT_EQ(SetupRootfs(plan, false, sys, &error), 0) << error.message;
  ASSERT_GE(sys.calls.size(), 5u);
  EXPECT_EQ(sys.calls[3].source, "/host/pids/c1");
  EXPECT_EQ(sys.calls[4].name, "sethostname");
}

TEST_F(RootfsSetupTest, ProcDestinationThatIsALinkIsRefused) {
  std::filesystem::create_symlink("/outside", dir_ + "/rootfs/proc");
  RootfsPlan plan = Plan({{"/proc", "proc", "proc", {}}});
  RecordingSyscalls sys;
  ChildError error;
  EXPECT_EQ(SetupRootfs(plan, false, sys, &error), -EPERM);
  EXPECT_THAT(std::string(error.message), StartsWith("mount destination is a symlink: /proc"));
  for (const auto& call : sys.calls) EXPECT_NE(call.fstype, "proc");
}

TEST_F(RootfsSetupTest, MaskedFileIsCoveredByTheNullDevice) {
  std::filesystem::create_directories(dir_ + "/rootfs/proc");
  std::ofstream(dir_ + "/rootfs/proc/keys") << "secret";
  RootfsPlan plan = Plan({});
  RecordingSyscalls sys;
  ChildError error;
  int root = ::open((dir_ + "/rootfs").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(root, 0);
  ASSERT_EQ(FinishRootfs(plan, root, sys, &error), 0) << error.message;
  ::close(root);
  bool masked = false;
  for (const auto& call : sys.calls) {
    masked = masked || (call.flags == MS_BIND && call.target.rfind("/proc/self/fd/", 0) == 0);
  }
  EXPECT_TRUE(masked);
}

}  // namespace
}  // namespace berth::oci
