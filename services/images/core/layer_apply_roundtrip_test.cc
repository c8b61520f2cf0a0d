// ApplyLayer on well-formed layers: every entry kind, compression, whiteouts, replacement.
#include <archive_entry.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>

#include "common/in_root.h"
#include "common/status_matchers.h"
#include "services/images/core/layer_apply.h"
#include "services/images/core/layer_test_support.h"

namespace berth::images {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::berth::images::testing;  // NOLINT: test helpers

class LayerApplyRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_ / "root";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    absl::StatusOr<UniqueFd> fd = OpenRoot(root_);
    BERTH_ASSERT_OK(fd);
    root_fd_ = *std::move(fd);
  }

  absl::StatusOr<LayerApplyResult> Apply(const std::string& tar,
                                         WhiteoutMode mode = WhiteoutMode::kDelete) {
    UniqueFd layer = MemFd(tar);
    return ApplyLayer(root_fd_.get(), layer.get(), mode);
  }
  struct stat Lstat(const std::string& rel) {
    struct stat st = {};
    EXPECT_EQ(lstat((root_ + "/" + rel).c_str(), &st), 0) << rel;
    return st;
  }
  bool Exists(const std::string& rel) {
    struct stat st;
    return lstat((root_ + "/" + rel).c_str(), &st) == 0;
  }
  std::string Read(const std::string& rel) {
    UniqueFd fd(open((root_ + "/" + rel).c_str(), O_RDONLY | O_CLOEXEC));
    return fd ? ReadAll(fd.get()) : "<missing>";
  }
  std::string Xattr(const std::string& rel, const char* key) {
    char buf[256];
    ssize_t n = lgetxattr((root_ + "/" + rel).c_str(), key, buf, sizeof(buf));
    return n < 0 ? "<none>" : std::string(buf, static_cast<size_t>(n));
  }

  TempDir dir_{"layer-apply"};
  std::string root_;
  UniqueFd root_fd_;
};

TEST_F(LayerApplyRoundTripTest, EveryEntryKindRoundTrips) {
  TarEntry suid = File("bin/tool", "#!/bin/true\n", 04755);
  suid.uid = 1234;
  suid.gid = 5678;
  suid.mtime = 1600000000;
  suid.mtime_nsec = 123456789;
  suid.xattrs = {{"user.origin", "layer-one"}};
  TarEntry dir = Dir("var/spool", 01777);
  dir.uid = 7;
  dir.gid = 8;
  dir.mtime = 1500000000;
  dir.xattrs = {{"user.kind", "spool"}};
  TarEntry chr;
  chr.name = "dev/null2";
  chr.type = AE_IFCHR;
  chr.perm = 0666;
  chr.rdev_major = 1;
  chr.rdev_minor = 3;
  TarEntry blk = chr;
  blk.name = "dev/loopx";
  blk.type = AE_IFBLK;
  blk.rdev_major = 7;
  blk.rdev_minor = 42;
  TarEntry fifo;
  fifo.name = "run/fifo";
  fifo.type = AE_IFIFO;
  fifo.perm = 0620;
  TarEntry link = Symlink("bin/sh", "tool");
  link.uid = 42;
  link.mtime = 1400000000;
  TarEntry setgid_dir = Dir("srv", 02750);

  absl::StatusOr<LayerApplyResult> result =
      Apply(BuildTar({Dir("bin"), suid, dir, File("var/spool/job", "x"), chr, blk, fifo, link,
                      Hardlink("bin/tool2", "bin/tool"), setgid_dir}));
  BERTH_ASSERT_OK(result);

  struct stat st = Lstat("bin/tool");
  EXPECT_EQ(Read("bin/tool"), "#!/bin/true\n");
  EXPECT_EQ(st.st_mode, S_IFREG | 04755u);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 123456789);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(Xattr("bin/tool", "user.origin"), "layer-one");
  struct stat st2 = Lstat("bin/tool2");
  EXPECT_EQ(st2.st_ino, st.st_ino);

  st = Lstat("var/spool");
  EXPECT_EQ(st.st_mode, S_IFDIR | 01777u);
  EXPECT_EQ(st.st_uid, 7u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1500000000);  // set after var/spool/job was written
  EXPECT_EQ(Xattr("var/spool", "user.kind"), "spool");
  EXPECT_EQ(Lstat("srv").st_mode, S_IFDIR | 02750u);

  st = Lstat("dev/null2");
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  st = Lstat("dev/loopx");
  EXPECT_TRUE(S_ISBLK(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(7, 42));
  st = Lstat("run/fifo");
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);

  st = Lstat("bin/sh");
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 42u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1400000000);
  char target[64] = {};
  ASSERT_GT(readlink((root_ + "/bin/sh").c_str(), target, sizeof(target)), 0);
  EXPECT_STREQ(target, "tool");

  // Parents missing from the tar are made 0755.
  EXPECT_EQ(Lstat("dev").st_mode, S_IFDIR | 0755u);
}

TEST_F(LayerApplyRoundTripTest, DiffIdIsTheHashOfTheUncompressedTar) {
  std::vector<TarEntry> entries = {Dir("etc"), File("etc/hostname", "box\n"),
                                   File("big", std::string(300000, 'z'))};
  std::string plain = BuildTar(entries);
  absl::StatusOr<LayerApplyResult> want = Apply(plain);
  BERTH_ASSERT_OK(want);
  EXPECT_EQ(want->diff_id, Digest::Of(plain));
  EXPECT_EQ(want->uncompressed_size, static_cast<int64_t>(plain.size()));
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    std::string compressed = BuildTar(entries, c);
    EXPECT_NE(compressed.substr(0, 4), plain.substr(0, 4));
    absl::StatusOr<LayerApplyResult> got = Apply(compressed);
    BERTH_ASSERT_OK(got);
    EXPECT_EQ(got->diff_id, want->diff_id);
    EXPECT_EQ(got->uncompressed_size, want->uncompressed_size);
  }
}

TEST_F(LayerApplyRoundTripTest, DiffIdMatchesZcatSha256sum) {
  std::string gz = BuildTar({File("a", "hello"), Dir("d")}, Compression::kGzip);
  std::string path = dir_ / "layer.tar.gz";
  WriteFile(path, gz);
  std::string cmd = "zcat " + path + " | sha256sum";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char hex[65] = {};
  ASSERT_EQ(fread(hex, 1, 64, p), 64u);
  pclose(p);
  absl::StatusOr<LayerApplyResult> got = Apply(gz);
  BERTH_ASSERT_OK(got);
  EXPECT_EQ(got->diff_id.hex(), hex);
}

TEST_F(LayerApplyRoundTripTest, WhiteoutsInDeleteMode) {
  BERTH_ASSERT_OK(Apply(BuildTar(
      {Dir("a"), File("a/gone", "1"), Dir("a/tree"), File("a/tree/f", "2"), File("a/keep", "3")})));
  BERTH_ASSERT_OK(Apply(
      BuildTar({File("a/.wh.gone", ""), File("a/.wh.tree", ""), File(".wh.nothing-there", "")})));
  EXPECT_FALSE(Exists("a/gone"));
  EXPECT_FALSE(Exists("a/tree"));
  EXPECT_FALSE(Exists("a/.wh.gone"));
  EXPECT_EQ(Read("a/keep"), "3");
}

TEST_F(LayerApplyRoundTripTest, WhiteoutsInOverlayMode) {
  TarEntry wh = File("a/.wh.gone", "");
  wh.uid = 0;
  BERTH_ASSERT_OK(Apply(BuildTar({Dir("a"), wh}), WhiteoutMode::kOverlay));
  struct stat st = Lstat("a/gone");
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(Exists("a/.wh.gone"));
}

TEST_F(LayerApplyRoundTripTest, OpaqueDirInDeleteModeKeepsOnlyThisLayer) {
  BERTH_ASSERT_OK(Apply(BuildTar(
      {Dir("o"), File("o/old", "1"), Dir("o/sub"), File("o/sub/old", "2"), File("sibling", "3")})));
  BERTH_ASSERT_OK(Apply(BuildTar({Dir("o"), File("o/.wh..wh..opq", ""), File("o/new", "4"),
                                  Dir("o/sub"), File("o/sub/new", "5")})));
  EXPECT_FALSE(Exists("o/old"));
  EXPECT_FALSE(Exists("o/sub/old"));
  EXPECT_EQ(Read("o/new"), "4");
  EXPECT_EQ(Read("o/sub/new"), "5");
  EXPECT_EQ(Read("sibling"), "3");
  EXPECT_FALSE(Exists("o/.wh..wh..opq"));
}

TEST_F(LayerApplyRoundTripTest, OpaqueDirInOverlayModeSetsTheXattr) {
  BERTH_ASSERT_OK(Apply(BuildTar({Dir("o"), File("o/.wh..wh..opq", ""), File("o/new", "4")}),
                        WhiteoutMode::kOverlay));
  EXPECT_EQ(Xattr("o", "trusted.overlay.opaque"), "y");
  EXPECT_EQ(Read("o/new"), "4");
  EXPECT_FALSE(Exists("o/.wh..wh..opq"));
}

TEST_F(LayerApplyRoundTripTest, FileReplacesDirAndDirReplacesFile) {
  BERTH_ASSERT_OK(Apply(BuildTar(
      {Dir("x"), Dir("x/deep"), File("x/deep/f", "1"), File("y", "2"), File("z", "old")})));
  BERTH_ASSERT_OK(Apply(
      BuildTar({File("x", "now a file"), Dir("y"), File("y/inside", "3"), File("z", "new")})));
  EXPECT_TRUE(S_ISREG(Lstat("x").st_mode));
  EXPECT_EQ(Read("x"), "now a file");
  EXPECT_TRUE(S_ISDIR(Lstat("y").st_mode));
  EXPECT_EQ(Read("y/inside"), "3");
  EXPECT_EQ(Read("z"), "new");
}

TEST_F(LayerApplyRoundTripTest, DirOverDirMerges) {
  BERTH_ASSERT_OK(Apply(BuildTar({Dir("d", 0700), File("d/a", "1")})));
  BERTH_ASSERT_OK(Apply(BuildTar({Dir("d", 0755), File("d/b", "2")})));
  EXPECT_EQ(Read("d/a"), "1");
  EXPECT_EQ(Read("d/b"), "2");
  EXPECT_EQ(Lstat("d").st_mode, S_IFDIR | 0755u);
}

TEST_F(LayerApplyRoundTripTest, HarmlessDotDotIsCleaned) {
  BERTH_ASSERT_OK(Apply(BuildTar({Dir("a"), File("a/../b", "1"), File("./c/./d", "2")})));
  EXPECT_EQ(Read("b"), "1");
  EXPECT_EQ(Read("c/d"), "2");
}

TEST_F(LayerApplyRoundTripTest, SymlinkXattrsAreSetWithoutFollowing) {
  TarEntry link = Symlink("l", "target");
  link.xattrs = {{"trusted.berth", "on-link"}, {"user.refused", "on-link"}};
  BERTH_ASSERT_OK(Apply(BuildTar({File("target", "t"), link})));
  EXPECT_EQ(Xattr("l", "trusted.berth"), "on-link");  // setxattrat(AT_SYMLINK_NOFOLLOW)
  EXPECT_EQ(Xattr("target", "trusted.berth"), "<none>");
  EXPECT_EQ(Xattr("target", "user.refused"), "<none>");
}

TEST_F(LayerApplyRoundTripTest, CorruptGzipIsAnError) {
  std::string gz = BuildTar({File("a", std::string(100000, 'q'))}, Compression::kGzip);
  gz.resize(gz.size() / 2);
  EXPECT_THAT(Apply(gz), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace berth::images
