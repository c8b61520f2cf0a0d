#include "common/in_root.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <thread>

#include "common/status_matchers.h"

namespace berth {
namespace {

using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

// A mkdtemp tree holding root/ (the root under test) and outside/ (must never be reached).
class InRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-in-root-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_ = base_ + "/root";
    outside_ = base_ + "/outside";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
    Write(outside_ + "/file", "outside");
    absl::StatusOr<UniqueFd> root = OpenRoot(root_);
    BERTH_ASSERT_OK(root);
    root_fd_ = *std::move(root);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(base_, ec);
  }

  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
  }
  static std::string ReadFd(int fd) {
    char buf[64];
    ssize_t n = pread(fd, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  static struct stat Stat(const std::string& path) {
    struct stat st = {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st;
  }
  static bool SameFile(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  }
  std::string ReadInRoot(const std::string& path) {
    absl::StatusOr<UniqueFd> fd = OpenInRoot(root_fd_.get(), path, O_RDONLY);
    EXPECT_THAT(fd, testing::IsOk()) << path;
    return fd.ok() ? ReadFd(fd->get()) : "";
  }

  std::string base_, root_, outside_;
  UniqueFd root_fd_;
};

TEST_F(InRootTest, DotDotStaysInRoot) {
  ASSERT_EQ(mkdir((root_ + "/etc").c_str(), 0755), 0);
  Write(root_ + "/etc/passwd", "inside");
  EXPECT_EQ(ReadInRoot("../../etc/passwd"), "inside");
  EXPECT_EQ(ReadInRoot("/../../../etc/passwd"), "inside");
}

TEST_F(InRootTest, AbsoluteSymlinkStaysInRoot) {
  ASSERT_EQ(mkdir((root_ + "/etc").c_str(), 0755), 0);
  Write(root_ + "/etc/x", "inside");
  ASSERT_EQ(symlink("/", (root_ + "/a").c_str()), 0);
  EXPECT_EQ(ReadInRoot("a/etc/x"), "inside");
  // An absolute link to the real outside directory lands on a path under the root.
  ASSERT_EQ(symlink(outside_.c_str(), (root_ + "/b").c_str()), 0);
  EXPECT_THAT(OpenInRoot(root_fd_.get(), "b/file", O_RDONLY),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("\"b/file\"")));
}

TEST_F(InRootTest, RelativeSymlinkEscapingStaysInside) {
  ASSERT_EQ(mkdir((root_ + "/sub").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root_ + "/outside").c_str(), 0755), 0);
  Write(root_ + "/outside/file", "inside");
  ASSERT_EQ(symlink("../../../../outside/file", (root_ + "/sub/esc").c_str()), 0);
  EXPECT_EQ(ReadInRoot("sub/esc"), "inside");
}

TEST_F(InRootTest, SymlinkLoopIsAClearError) {
  ASSERT_EQ(symlink("l2", (root_ + "/l1").c_str()), 0);
  ASSERT_EQ(symlink("l1", (root_ + "/l2").c_str()), 0);
  EXPECT_THAT(OpenInRoot(root_fd_.get(), "l1", O_RDONLY),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::AllOf(HasSubstr("\"l1\""), HasSubstr(root_),
                                        HasSubstr("symbolic links"))));
}

TEST_F(InRootTest, MagicLinksRefused) {
  if (access("/proc/self/root", F_OK) != 0) GTEST_SKIP() << "no /proc";
  absl::StatusOr<UniqueFd> host = OpenRoot("/");
  BERTH_ASSERT_OK(host);
  EXPECT_THAT(OpenInRoot(host->get(), "/proc/self/root/etc", O_PATH),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("magic link")));
  absl::StatusOr<UniqueFd> proc_self = OpenRoot("/proc/self");
  BERTH_ASSERT_OK(proc_self);
  EXPECT_THAT(OpenInRoot(proc_self->get(), "cwd", O_PATH),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("magic link")));
}

TEST_F(InRootTest, CreatesWithModeAndCloexec) {
  absl::StatusOr<UniqueFd> fd =
      OpenInRoot(root_fd_.get(), "/new", O_WRONLY | O_CREAT | O_EXCL, 0600);
  BERTH_ASSERT_OK(fd);
  EXPECT_EQ(fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(Stat(root_ + "/new").st_mode & 07777, 0600u);
  EXPECT_THAT(OpenInRoot(root_fd_.get(), "new", O_WRONLY | O_CREAT | O_EXCL, 0600),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("\"new\"")));
}

// A thread keeps exchanging root/comp between a real directory and a symlink pointing
// outside; every open that succeeds must be of the file inside the root.
TEST_F(InRootTest, SymlinkSwappedMidWalkNeverEscapes) {
  ASSERT_EQ(mkdir((root_ + "/comp").c_str(), 0755), 0);
  Write(root_ + "/comp/file", "inside");
  const std::string relative_escape = "../../../../../../../.." + outside_;
  for (const std::string& target : {outside_, relative_escape, std::string("../outside")}) {
    SCOPED_TRACE(target);
    std::string alt = root_ + "/alt";
    ASSERT_EQ(symlink(target.c_str(), alt.c_str()), 0);
    struct stat inside = Stat(root_ + "/comp/file");
    struct stat sentinel = Stat(outside_ + "/file");
    std::atomic<bool> stop{false};
    std::thread swapper([&] {
      while (!stop.load()) {
        renameat2(AT_FDCWD, (root_ + "/comp").c_str(), AT_FDCWD, alt.c_str(), RENAME_EXCHANGE);
      }
    });
    int opened = 0;
    for (int i = 0; i < 3000; ++i) {
      absl::StatusOr<UniqueFd> fd = OpenInRoot(root_fd_.get(), "comp/file", O_RDONLY);
      if (!fd.ok()) continue;
      struct stat st = {};
      ASSERT_EQ(fstat(fd->get(), &st), 0);
      ASSERT_FALSE(SameFile(st, sentinel)) << "opened the file outside the root";
      ASSERT_TRUE(SameFile(st, inside));
      ++opened;
    }
    stop = true;
    swapper.join();
    // Leave root/comp as the directory for the next round.
    struct stat comp = {};
    ASSERT_EQ(lstat((root_ + "/comp").c_str(), &comp), 0);
    if (S_ISLNK(comp.st_mode)) {
      ASSERT_EQ(
          renameat2(AT_FDCWD, (root_ + "/comp").c_str(), AT_FDCWD, alt.c_str(), RENAME_EXCHANGE),
          0);
    }
    ASSERT_EQ(unlink(alt.c_str()), 0);
    EXPECT_GT(opened, 0);
  }
}

// A thread moves root/a/b out of the root and back while "a/b/../../outside/file" is
// resolved; a ".." taken from the moved directory would reach the sentinel.
TEST_F(InRootTest, DirectoryMovedOutMidWalkNeverEscapes) {
  ASSERT_EQ(mkdir((root_ + "/a").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root_ + "/a/b").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root_ + "/outside").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((base_ + "/x").c_str(), 0755), 0);
  Write(root_ + "/outside/file", "inside");
  struct stat inside = Stat(root_ + "/outside/file");
  std::atomic<bool> stop{false};
  std::thread mover([&] {
    std::string in = root_ + "/a/b", out = base_ + "/x/b";
    while (!stop.load()) {
      rename(in.c_str(), out.c_str());
      rename(out.c_str(), in.c_str());
    }
  });
  for (int i = 0; i < 3000; ++i) {
    absl::StatusOr<UniqueFd> fd = OpenInRoot(root_fd_.get(), "a/b/../../outside/file", O_RDONLY);
    if (!fd.ok()) continue;
    struct stat st = {};
    ASSERT_EQ(fstat(fd->get(), &st), 0);
    ASSERT_TRUE(SameFile(st, inside)) << "opened a file outside the root";
  }
  stop = true;
  mover.join();
}

TEST_F(InRootTest, MkdirAllThroughAbsoluteSymlinkStaysInRoot) {
  ASSERT_EQ(symlink("/", (root_ + "/link").c_str()), 0);
  absl::StatusOr<UniqueFd> dir = MkdirAllInRoot(root_fd_.get(), "link/made/./here", 0755);
  BERTH_ASSERT_OK(dir);
  EXPECT_TRUE(std::filesystem::is_directory(root_ + "/made/here"));
  absl::StatusOr<std::string> path = FdPath(dir->get());
  BERTH_ASSERT_OK(path);
  EXPECT_EQ(*path, root_ + "/made/here");
  // Idempotent, and ".." cannot climb out either.
  BERTH_EXPECT_OK(MkdirAllInRoot(root_fd_.get(), "../../made/here", 0755));

  // Links to the real outside directory, absolute or relative, dangle inside the root.
  ASSERT_EQ(symlink(outside_.c_str(), (root_ + "/abs").c_str()), 0);
  ASSERT_EQ(symlink("../outside", (root_ + "/rel").c_str()), 0);
  EXPECT_THAT(MkdirAllInRoot(root_fd_.get(), "abs/x", 0755),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("\"abs\"")));
  EXPECT_THAT(MkdirAllInRoot(root_fd_.get(), "rel/x", 0755),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("dangling")));
  EXPECT_FALSE(std::filesystem::exists(outside_ + "/x"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(outside_),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(InRootTest, MkdirAllRefusesAFileComponent) {
  Write(root_ + "/f", "");
  EXPECT_THAT(MkdirAllInRoot(root_fd_.get(), "f/sub", 0755),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("\"f\"")));
}

TEST_F(InRootTest, OpenRootOfMissingDirNamesIt) {
  EXPECT_THAT(OpenRoot(base_ + "/missing"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(base_ + "/missing")));
}

}  // namespace
}  // namespace berth
