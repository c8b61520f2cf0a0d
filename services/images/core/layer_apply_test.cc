// ApplyLayer against hostile layers: whatever a layer holds, nothing outside the root is
// created, changed or followed. Each test keeps a sentinel tree beside the root and checks
// it is byte-for-byte unchanged (contents, mode, owner, mtime, xattrs) afterwards.
#include "services/images/core/layer_apply.h"

#include <archive_entry.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/in_root.h"
#include "common/status_matchers.h"
#include "services/images/core/layer_test_support.h"

namespace berth::images {
namespace {

using ::berth::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::berth::images::testing;  // NOLINT: test helpers

class LayerApplyHostileTest : public ::testing::TestWithParam<WhiteoutMode> {
 protected:
  void SetUp() override {
    root_ = dir_ / "root";
    sentinel_ = dir_ / "sentinel";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(sentinel_.c_str(), 0750), 0);
    WriteFile(sentinel_ + "/file", "sentinel contents\n", 0640);
    ASSERT_EQ(chown((sentinel_ + "/file").c_str(), 1111, 2222), 0);
    ASSERT_EQ(setxattr((sentinel_ + "/file").c_str(), "user.sentinel", "1", 1, 0), 0);
    ASSERT_EQ(mkdir((sentinel_ + "/dir").c_str(), 0700), 0);
    WriteFile(sentinel_ + "/dir/inner", "inner\n", 0600);
    ASSERT_EQ(symlink("file", (sentinel_ + "/link").c_str()), 0);
    struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
    for (const char* p : {"/file", "/dir/inner", "/dir", "/link", ""}) {
      ASSERT_EQ(utimensat(AT_FDCWD, (sentinel_ + p).c_str(), old, AT_SYMLINK_NOFOLLOW), 0);
    }
    absl::StatusOr<UniqueFd> fd = OpenRoot(root_);
    BERTH_ASSERT_OK(fd);
    root_fd_ = *std::move(fd);
    before_ = Outside();
    ASSERT_EQ(before_.size(), 5u);  // sentinel, its file, dir, dir/inner and link
    escape_ = absl::StrCat("berth-escape-", getpid());
  }

  void TearDown() override {
    EXPECT_EQ(Outside(), before_) << "something outside the root changed";
    for (const std::string& host :
         {"/" + escape_, "/etc/" + escape_, "/dev/" + escape_, "/tmp/" + escape_}) {
      struct stat st;
      EXPECT_NE(lstat(host.c_str(), &st), 0) << host << " was created on the host";
      unlink(host.c_str());
    }
  }

  // The whole temp dir except the root: the sentinel and any stray entry beside it.
  std::map<std::string, std::string> Outside() {
    std::map<std::string, std::string> tree = SnapshotTree(dir_.path());
    std::erase_if(tree, [](const auto& kv) {
      return kv.first == "root" || absl::StartsWith(kv.first, "root/");
    });
    return tree;
  }

  absl::StatusOr<LayerApplyResult> Apply(const std::vector<TarEntry>& entries) {
    UniqueFd layer = MemFd(BuildTar(entries));
    return ApplyLayer(root_fd_.get(), layer.get(), GetParam());
  }
  bool InRoot(const std::string& rel) {
    struct stat st;
    return lstat((root_ + "/" + rel).c_str(), &st) == 0;
  }

  TempDir dir_{"layer-hostile"};
  std::string root_;
  std::string sentinel_;
  std::string escape_;
  UniqueFd root_fd_;
  std::map<std::string, std::string> before_;
};

TEST_P(LayerApplyHostileTest, DotDotNamesAreRefused) {
  for (const char* name : {"../x", "../../x", "../sentinel/file", "a/../../sentinel/file",
                           "/../sentinel/file", "/../x"}) {
    EXPECT_THAT(Apply({File(name, "pwned", 0777)}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("climbs above the root")))
        << name;
  }
  EXPECT_THAT(Apply({Dir("../sentinel", 0777)}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(LayerApplyHostileTest, AbsoluteNamesLandInsideTheRoot) {
  BERTH_EXPECT_OK(Apply({File("/" + escape_, "inside")}));
  EXPECT_TRUE(InRoot(escape_));
  BERTH_EXPECT_OK(Apply({File("/tmp/" + escape_, "inside")}));
  EXPECT_TRUE(InRoot("tmp/" + escape_));
}

TEST_P(LayerApplyHostileTest, SymlinkToHostRootThenChild) {
  BERTH_EXPECT_OK(Apply({Symlink("a", "/"), File("a/etc/" + escape_, "pwned")}));
  EXPECT_TRUE(InRoot("etc/" + escape_));  // "/" means the root's own root
}

TEST_P(LayerApplyHostileTest, SymlinkClimbingOutThenChild) {
  Apply({Symlink("a", "../../sentinel"), File("a/file", "pwned", 0777)}).IgnoreError();
  Apply({Symlink("b", sentinel_), File("b/file", "pwned", 0777), Dir("b/dir", 0777)}).IgnoreError();
}

TEST_P(LayerApplyHostileTest, HardlinkOutsideIsRefused) {
  EXPECT_THAT(Apply({Hardlink("h", "../sentinel/file")}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Apply({Hardlink("h", sentinel_ + "/file")}), StatusIs(absl::StatusCode::kNotFound));
  struct stat passwd_before, passwd_after;
  ASSERT_EQ(stat("/etc/passwd", &passwd_before), 0);
  EXPECT_THAT(Apply({Hardlink("p", "/etc/passwd")}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("layer entry \"p\"")));
  // Through a symlinked parent the target still resolves inside the root.
  EXPECT_THAT(Apply({Symlink("up", "../.."), Hardlink("q", "up/etc/passwd")}),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_EQ(stat("/etc/passwd", &passwd_after), 0);
  EXPECT_EQ(passwd_after.st_nlink, passwd_before.st_nlink);
  // An absolute target that exists inside the root is the root's file.
  BERTH_EXPECT_OK(Apply(
      {Dir("etc"), File("etc/passwd", "root:x:0:0::/:/bin/sh\n"), Hardlink("p", "/etc/passwd")}));
  struct stat p;
  ASSERT_EQ(stat((root_ + "/p").c_str(), &p), 0);
  EXPECT_EQ(p.st_nlink, 2u);
}

TEST_P(LayerApplyHostileTest, HardlinkToSymlinkIsRefused) {
  EXPECT_THAT(Apply({Symlink("l", sentinel_ + "/file"), Hardlink("h", "l")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("symbolic link")));
  EXPECT_FALSE(InRoot("h"));
}

TEST_P(LayerApplyHostileTest, ChmodThroughSymlinkAndHardlinkChain) {
  BERTH_EXPECT_OK(Apply({Symlink("l", "../sentinel/file")}));
  EXPECT_THAT(Apply({Hardlink("h", "l")}), StatusIs(absl::StatusCode::kInvalidArgument));
  BERTH_EXPECT_OK(Apply({File("h", "", 0777)}));
  BERTH_EXPECT_OK(Apply({Symlink("l2", sentinel_ + "/file")}));
  TarEntry chr;
  chr.name = "l2";
  chr.type = AE_IFCHR;
  chr.perm = 0777;
  chr.uid = 99;
  BERTH_EXPECT_OK(Apply({chr}));  // replaces the symlink itself
  struct stat st;
  ASSERT_EQ(lstat((root_ + "/l2").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  BERTH_EXPECT_OK(Apply({Symlink("l3", sentinel_ + "/file"), File("l3", "", 04777)}));
  BERTH_EXPECT_OK(Apply({Symlink("l4", sentinel_), Dir("l4", 0777)}));
}

TEST_P(LayerApplyHostileTest, DirEntryOverSymlinkToOutside) {
  TarEntry dir = Dir("d", 0777);
  dir.uid = 4242;
  dir.xattrs = {{"user.evil", "1"}};
  BERTH_EXPECT_OK(Apply({Symlink("d", sentinel_), dir, File("d/new", "x"), File("d/file", "x")}));
  struct stat st;
  ASSERT_EQ(lstat((root_ + "/d").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_uid, 4242u);
}

TEST_P(LayerApplyHostileTest, EscapingAndMalformedWhiteoutsAreRefused) {
  EXPECT_THAT(Apply({File("../.wh.sentinel", "")}), StatusIs(absl::StatusCode::kInvalidArgument));
  for (const char* name : {".wh..", ".wh.", "a/.wh.", ".wh...", "a/.wh.x/y"}) {
    EXPECT_THAT(Apply({File(name, "")}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("whiteout")))
        << name;
  }
  // Whiteouts and opaque markers below a symlink to the sentinel stay inside the root.
  Apply({Symlink("s", sentinel_), File("s/.wh.file", ""), File("s/.wh.dir", "")}).IgnoreError();
  Apply({Symlink("t", "../sentinel"), File("t/.wh.file", "")}).IgnoreError();
  Apply({Symlink("o", sentinel_), File("o/.wh..wh..opq", "")}).IgnoreError();
  Apply({Symlink("p", "/"), File("p/.wh.sentinel", "")}).IgnoreError();
}

TEST_P(LayerApplyHostileTest, DeviceNodesAreCreatedInsideOnly) {
  TarEntry chr;
  chr.name = "dev/" + escape_;
  chr.type = AE_IFCHR;
  chr.rdev_major = 1;
  chr.rdev_minor = 3;
  TarEntry via_link = chr;
  via_link.name = "hostdev/" + escape_;
  TarEntry blk = chr;
  blk.name = "s/blk";
  blk.type = AE_IFBLK;
  Apply({Symlink("hostdev", "/dev"), chr, via_link}).IgnoreError();
  Apply({Symlink("s", sentinel_), blk}).IgnoreError();
  struct stat st;
  ASSERT_EQ(lstat((root_ + "/dev/" + escape_).c_str(), &st), 0);
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
}

TEST_P(LayerApplyHostileTest, RootCannotBeReplaced) {
  EXPECT_THAT(Apply({File("/", "x")}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Apply({Symlink(".", sentinel_)}), StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(BothModes, LayerApplyHostileTest,
                         ::testing::Values(WhiteoutMode::kOverlay, WhiteoutMode::kDelete),
                         [](const ::testing::TestParamInfo<WhiteoutMode>& info) {
                           return info.param == WhiteoutMode::kOverlay ? "Overlay" : "Delete";
                         });

}  // namespace
}  // namespace berth::images
