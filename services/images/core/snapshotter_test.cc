// Runs the snapshotter conformance suite against the overlayfs and native snapshotters.
#include "services/images/core/snapshotter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/file_text.h"
#include "common/status_matchers.h"
#include "services/images/core/snapshotter_suite.h"
#include "services/images/core/storage_driver.h"

namespace berth::images::testing {
namespace {

SnapshotterFactory Factory(const std::string& driver) {
  SnapshotterFactory factory;
  factory.name = driver;
  factory.open = [driver](const std::string& root) { return OpenSnapshotter(driver, root); };
  return factory;
}

SnapshotterFactory OverlayFactory() {
  SnapshotterFactory factory = Factory(kOverlayDriver);
  factory.unavailable = [] {
    absl::StatusOr<std::string> filesystems = ReadFileText("/proc/filesystems");
    if (filesystems.ok() && ChooseStorageDriver("", *filesystems) == kOverlayDriver) return "";
    return "the kernel has no overlayfs";
  };
  return factory;
}

INSTANTIATE_TEST_SUITE_P(Snapshotters, SnapshotterSuite,
                         ::testing::Values(OverlayFactory(), Factory(kNativeDriver)),
                         SnapshotterFactoryName);

// Shapes of the mounts each implementation hands out, and where overlay puts a deletion.
class SnapshotterMountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "mounts filesystems: run as root";
    std::string tmpl = absl::StrCat("/tmp/berth-snapshot-mounts-", ::getpid(), "-XXXXXX");
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
};

TEST_F(SnapshotterMountsTest, OverlayStacksAncestorsNearestFirst) {
  if (OverlayFactory().unavailable() != "") GTEST_SKIP() << "no overlayfs";
  absl::StatusOr<std::unique_ptr<Snapshotter>> s = OpenSnapshotter(kOverlayDriver, dir_ + "/root");
  ASSERT_THAT(s, berth::testing::IsOk());
  Snapshotter& snapshotter = **s;
  absl::StatusOr<std::vector<Mount>> base = snapshotter.Prepare("base-active", "", {});
  ASSERT_THAT(base, berth::testing::IsOk());
  const std::string snapshots = dir_ + "/root/snapshots/";
  EXPECT_EQ(*base, (std::vector<Mount>{{"bind", snapshots + "1/fs", {"rbind", "rw"}}}));
  ASSERT_TRUE(std::filesystem::create_directory(snapshots + "1/fs/gone"));
  BERTH_ASSERT_OK(snapshotter.Commit("base", "base-active", {}));
  ASSERT_THAT(snapshotter.Prepare("mid-active", "base", {}), berth::testing::IsOk());
  BERTH_ASSERT_OK(snapshotter.Commit("mid", "mid-active", {}));

  absl::StatusOr<std::vector<Mount>> top = snapshotter.Prepare("top", "mid", {});
  ASSERT_THAT(top, berth::testing::IsOk());
  ASSERT_EQ(top->size(), 1u);
  EXPECT_EQ((*top)[0].type, "overlay");
  EXPECT_THAT(
      (*top)[0].options,
      ::testing::IsSupersetOf({"upperdir=" + snapshots + "3/fs", "workdir=" + snapshots + "3/work",
                               "lowerdir=" + snapshots + "2/fs:" + snapshots + "1/fs"}));
  EXPECT_EQ(*WritableDir(*top), snapshots + "3/fs");
  EXPECT_EQ(*snapshotter.View("one", "base", {}),
            (std::vector<Mount>{{"bind", snapshots + "1/fs", {"rbind", "ro"}}}));

  std::string target = dir_ + "/mnt";
  ASSERT_TRUE(std::filesystem::create_directory(target));
  {
    absl::StatusOr<ScopedMount> mnt = ScopedMount::Create(*top, target);
    ASSERT_THAT(mnt, berth::testing::IsOk());
    ASSERT_EQ(::rmdir((target + "/gone").c_str()), 0);
  }
  struct stat st;
  ASSERT_EQ(::lstat((snapshots + "3/fs/gone").c_str(), &st), 0);  // an overlay whiteout
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
}

TEST_F(SnapshotterMountsTest, OverlayRefusesAStackTooTallForOneMount) {
  absl::StatusOr<std::unique_ptr<Snapshotter>> s = OpenSnapshotter(kOverlayDriver, dir_ + "/root");
  ASSERT_THAT(s, berth::testing::IsOk());
  Snapshotter& snapshotter = **s;
  std::string parent;
  absl::Status status;
  int layers = 0;
  for (; layers < 1000 && status.ok(); layers++) {
    std::string name = absl::StrCat("layer", layers);
    status = snapshotter.Prepare(name + "-active", parent, {}).status();
    if (status.ok()) status = snapshotter.Commit(name, name + "-active", {});
    parent = name;
  }
  EXPECT_THAT(status, berth::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                               ::testing::HasSubstr("more than one page")));
  EXPECT_GT(layers, 20);
  // The refused Prepare left no row and no directory.
  absl::StatusOr<std::vector<SnapshotInfo>> list = snapshotter.List();
  ASSERT_THAT(list, berth::testing::IsOk());
  EXPECT_EQ(list->size(), static_cast<size_t>(layers - 1));
  size_t dirs = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(dir_ + "/root/snapshots")) {
    dirs++;
  }
  EXPECT_EQ(dirs, list->size());
}

TEST_F(SnapshotterMountsTest, NativeCopiesTheParentAndBindsItsOwnTree) {
  absl::StatusOr<std::unique_ptr<Snapshotter>> s = OpenSnapshotter(kNativeDriver, dir_ + "/root");
  ASSERT_THAT(s, berth::testing::IsOk());
  Snapshotter& snapshotter = **s;
  const std::string snapshots = dir_ + "/root/snapshots/";
  ASSERT_THAT(snapshotter.Prepare("base-active", "", {}), berth::testing::IsOk());
  ASSERT_TRUE(std::filesystem::create_directory(snapshots + "1/fs/dir"));
  BERTH_ASSERT_OK(snapshotter.Commit("base", "base-active", {}));
  EXPECT_EQ(*snapshotter.Prepare("child", "base", {}),
            (std::vector<Mount>{{"bind", snapshots + "2/fs", {"rbind", "rw"}}}));
  EXPECT_TRUE(std::filesystem::is_directory(snapshots + "2/fs/dir"));
  EXPECT_EQ(*snapshotter.View("view", "base", {}),
            (std::vector<Mount>{{"bind", snapshots + "1/fs", {"rbind", "ro"}}}));
}

TEST(OpenSnapshotterTest, RefusesUnknownDrivers) {
  EXPECT_EQ(OpenSnapshotter("zfs", "/nonexistent").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WritableDirTest, FindsUpperdirOrReadWriteBindSource) {
  EXPECT_EQ(
      *WritableDir({Mount{"overlay", "overlay", {"lowerdir=/l", "upperdir=/u", "workdir=/w"}}}),
      "/u");
  EXPECT_EQ(*WritableDir({Mount{"bind", "/fs", {"rbind", "rw"}}}), "/fs");
  EXPECT_EQ(WritableDir({Mount{"bind", "/fs", {"rbind", "ro"}}}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(WritableDir({Mount{"overlay", "overlay", {"lowerdir=/a:/b"}}}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(WritableDir({}).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace berth::images::testing
