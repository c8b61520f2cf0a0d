// WriteDirectoryDiff / WriteOverlayDiff: applying the diff onto the lower tree gives back
// the changed tree.
#include "services/images/core/layer_diff.h"

#include <archive_entry.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/in_root.h"
#include "common/status_matchers.h"
#include "services/images/core/layer_apply.h"
#include "services/images/core/layer_test_support.h"

namespace berth::images {
namespace {

using namespace ::berth::images::testing;  // NOLINT: test helpers

std::vector<TarEntry> BaseLayer() {
  TarEntry chr;
  chr.name = "dev/null2";
  chr.type = AE_IFCHR;
  chr.perm = 0666;
  chr.rdev_major = 1;
  chr.rdev_minor = 3;
  return {Dir("etc"),
          File("etc/hostname", "box\n"),
          File("etc/modify", "aaaa"),
          File("etc/chmod", "c"),
          File("etc/chown", "o"),
          Dir("gone"),
          File("gone/a", "1"),
          Dir("gone/sub"),
          File("gone/sub/b", "2"),
          Dir("opaque"),
          File("opaque/old", "3"),
          Dir("replace_dir"),
          File("replace_dir/x", "4"),
          File("replace_file", "5"),
          Symlink("link", "etc/hostname"),
          File("hl_a", "shared"),
          Hardlink("hl_b", "hl_a"),
          File("deleted", "6"),
          Dir("dev"),
          chr};
}

// The same edits, made with ordinary syscalls on a plain tree or an overlay mount.
void Mutate(const std::string& d) {
  auto p = [&](const char* rel) { return d + "/" + rel; };
  WriteFile(p("new/file"), "new", 0640);
  ASSERT_EQ(setxattr(p("new/file").c_str(), "user.x", "y", 1, 0), 0);
  ASSERT_EQ(chown(p("new/file").c_str(), 1000, 1000), 0);
  {
    UniqueFd fd(open(p("etc/modify").c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_EQ(pwrite(fd.get(), "bbbb", 4, 0), 4);
  }
  struct timespec base_time[2] = {{1700000000, 0}, {1700000000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, p("etc/modify").c_str(), base_time, 0), 0);  // content-only
  ASSERT_EQ(chmod(p("etc/chmod").c_str(), 04755), 0);
  ASSERT_EQ(lchown(p("etc/chown").c_str(), 33, 44), 0);
  ASSERT_EQ(setxattr(p("etc/hostname").c_str(), "user.tag", "v", 1, 0), 0);
  std::filesystem::remove_all(p("gone"));
  ASSERT_EQ(unlink(p("deleted").c_str()), 0);
  std::filesystem::remove_all(p("opaque"));
  WriteFile(p("opaque/fresh"), "7");
  std::filesystem::remove_all(p("replace_dir"));
  WriteFile(p("replace_dir"), "now a file");
  ASSERT_EQ(unlink(p("replace_file").c_str()), 0);
  WriteFile(p("replace_file/in"), "8");
  ASSERT_EQ(unlink(p("link").c_str()), 0);
  ASSERT_EQ(symlink("etc/chmod", p("link").c_str()), 0);
  ASSERT_EQ(symlink("../etc", p("new/link2").c_str()), 0);
  WriteFile(p("new/h1"), "pair");
  ASSERT_EQ(link(p("new/h1").c_str(), p("new/h2").c_str()), 0);
  ASSERT_EQ(mknod(p("new/fifo").c_str(), S_IFIFO | 0600, 0), 0);
  ASSERT_EQ(mknod(p("dev/zero2").c_str(), S_IFCHR | 0666, makedev(1, 5)), 0);
}

class LayerDiffTest : public ::testing::Test {
 protected:
  std::string Make(const char* name) {
    std::string path = dir_ / name;
    EXPECT_EQ(mkdir(path.c_str(), 0755), 0);
    return path;
  }
  UniqueFd Root(const std::string& path) {
    absl::StatusOr<UniqueFd> fd = OpenRoot(path);
    EXPECT_TRUE(fd.ok()) << fd.status();
    return fd.ok() ? *std::move(fd) : UniqueFd();
  }
  void ApplyTo(const std::string& path, const std::string& tar, WhiteoutMode mode) {
    UniqueFd root = Root(path);
    UniqueFd layer = MemFd(tar);
    BERTH_ASSERT_OK(ApplyLayer(root.get(), layer.get(), mode));
  }
  // Applies `out` (a diff just written) onto `path` and checks both sides agree on the id.
  void ApplyDiff(const std::string& path, int out, const LayerApplyResult& written,
                 WhiteoutMode mode) {
    UniqueFd root = Root(path);
    ASSERT_EQ(lseek(out, 0, SEEK_SET), 0);
    absl::StatusOr<LayerApplyResult> applied = ApplyLayer(root.get(), out, mode);
    BERTH_ASSERT_OK(applied);
    EXPECT_EQ(applied->diff_id, written.diff_id);
    EXPECT_EQ(applied->uncompressed_size, written.uncompressed_size);
  }

  TempDir dir_{"layer-diff"};
};

TEST_F(LayerDiffTest, DirectoryDiffAppliedOntoLowerGivesUpper) {
  std::string lower = Make("lower"), upper = Make("upper"), target = Make("target");
  std::string base = BuildTar(BaseLayer());
  for (const std::string& d : {lower, upper, target}) ApplyTo(d, base, WhiteoutMode::kDelete);
  Mutate(upper);
  ASSERT_NE(SnapshotTree(lower), SnapshotTree(upper));

  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip ? "gzip" : "plain");
    std::string t = Make(gzip ? "target-gz" : "target-plain");
    ApplyTo(t, base, WhiteoutMode::kDelete);
    UniqueFd lower_fd = Root(lower), upper_fd = Root(upper);
    UniqueFd out(memfd_create("diff", MFD_CLOEXEC));
    absl::StatusOr<LayerApplyResult> written =
        WriteDirectoryDiff(lower_fd.get(), upper_fd.get(), out.get(), gzip);
    BERTH_ASSERT_OK(written);
    ApplyDiff(t, out.get(), *written, WhiteoutMode::kDelete);
    EXPECT_EQ(SnapshotTree(t, /*with_nlink=*/true), SnapshotTree(upper, /*with_nlink=*/true));
    if (!gzip) {
      EXPECT_EQ(written->diff_id, Digest::Of(ReadAll(out.get())));
    }
  }
}

TEST_F(LayerDiffTest, DirectoryDiffIsDeterministicAndSmall) {
  std::string lower = Make("lower"), upper = Make("upper");
  std::string base = BuildTar(BaseLayer());
  ApplyTo(lower, base, WhiteoutMode::kDelete);
  ApplyTo(upper, base, WhiteoutMode::kDelete);
  UniqueFd lower_fd = Root(lower), upper_fd = Root(upper);
  UniqueFd a(memfd_create("a", MFD_CLOEXEC)), b(memfd_create("b", MFD_CLOEXEC));
  BERTH_ASSERT_OK(WriteDirectoryDiff(lower_fd.get(), upper_fd.get(), a.get(), false));
  EXPECT_EQ(ReadAll(a.get()), std::string(1024, '\0'));  // no changes: just the end marker
  Mutate(upper);
  UniqueFd c(memfd_create("c", MFD_CLOEXEC));
  BERTH_ASSERT_OK(WriteDirectoryDiff(lower_fd.get(), upper_fd.get(), b.get(), false));
  BERTH_ASSERT_OK(WriteDirectoryDiff(lower_fd.get(), upper_fd.get(), c.get(), false));
  EXPECT_EQ(ReadAll(b.get()), ReadAll(c.get()));
}

TEST_F(LayerDiffTest, DirectoryDiffWithoutLowerIsTheWholeTree) {
  std::string upper = Make("upper"), target = Make("target");
  ApplyTo(upper, BuildTar(BaseLayer()), WhiteoutMode::kDelete);
  Mutate(upper);
  UniqueFd upper_fd = Root(upper);
  UniqueFd out(memfd_create("diff", MFD_CLOEXEC));
  absl::StatusOr<LayerApplyResult> written =
      WriteDirectoryDiff(-1, upper_fd.get(), out.get(), true);
  BERTH_ASSERT_OK(written);
  ApplyDiff(target, out.get(), *written, WhiteoutMode::kDelete);
  EXPECT_EQ(SnapshotTree(target, true), SnapshotTree(upper, true));
}

// An overlay mount, unmounted when it goes out of scope.
class OverlayMount {
 public:
  OverlayMount(const std::string& lower, const std::string& upper, const std::string& work,
               const std::string& merged)
      : merged_(merged) {
    std::string opts = absl::StrCat("lowerdir=", lower, ",upperdir=", upper, ",workdir=", work,
                                    ",redirect_dir=off,metacopy=off");
    mounted_ = mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) == 0;
    EXPECT_TRUE(mounted_) << "mount overlay: " << strerror(errno);
  }
  ~OverlayMount() { Unmount(); }
  void Unmount() {
    if (mounted_) {
      EXPECT_EQ(umount2(merged_.c_str(), 0), 0) << strerror(errno);
    }
    mounted_ = false;
  }
  bool mounted() const { return mounted_; }

 private:
  std::string merged_;
  bool mounted_ = false;
};

TEST_F(LayerDiffTest, OverlayDiffAppliedOntoLowerGivesTheMergedTree) {
  std::string lower = Make("lower"), upper = Make("upper"), work = Make("work"),
              merged = Make("merged"), target = Make("target");
  std::string base = BuildTar(BaseLayer());
  ApplyTo(lower, base, WhiteoutMode::kDelete);
  ApplyTo(target, base, WhiteoutMode::kDelete);
  std::map<std::string, std::string> want;
  {
    OverlayMount mnt(lower, upper, work, merged);
    ASSERT_TRUE(mnt.mounted());
    Mutate(merged);
    want = SnapshotTree(merged, true);
  }
  UniqueFd upper_fd = Root(upper);
  UniqueFd out(memfd_create("diff", MFD_CLOEXEC));
  absl::StatusOr<LayerApplyResult> written = WriteOverlayDiff(upper_fd.get(), out.get(), true);
  BERTH_ASSERT_OK(written);
  ApplyDiff(target, out.get(), *written, WhiteoutMode::kDelete);
  EXPECT_EQ(SnapshotTree(target, true), want);

  // The same diff unpacked as an overlay upper dir gives the same merged view.
  std::string upper2 = Make("upper2"), work2 = Make("work2"), merged2 = Make("merged2");
  ApplyDiff(upper2, out.get(), *written, WhiteoutMode::kOverlay);
  OverlayMount mnt2(lower, upper2, work2, merged2);
  ASSERT_TRUE(mnt2.mounted());
  EXPECT_EQ(SnapshotTree(merged2, true), want);
}

}  // namespace
}  // namespace berth::images
