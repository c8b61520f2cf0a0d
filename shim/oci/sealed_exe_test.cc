#include "shim/oci/sealed_exe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/mount.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/file_text.h"
#include "common/status_matchers.h"

namespace berth::oci {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::IsOkAndHolds;

// A file in the temporary directory holding `text`, removed with the object.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    path_ = (std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp");
    path_ += "/sealed_exe_test.XXXXXX";
    fd_.Reset(::mkostemp(path_.data(), O_CLOEXEC));
    if (fd_) (void)!::write(fd_.get(), text.data(), text.size());
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  int fd() const { return fd_.get(); }

 private:
  std::string path_;
  UniqueFd fd_;
};

TEST(IsSealedMemfdTest, SealedCopyIsRecognisedAndHoldsTheBytes) {
  TempFile file("#!/bin/true\nsome bytes");
  ASSERT_TRUE(file.fd() >= 0);
  absl::StatusOr<UniqueFd> copy = SealedCopy(file.fd(), "sealed-exe-test");
  ASSERT_THAT(copy, IsOk());
  EXPECT_THAT(IsSealedMemfd(copy->get()), IsOkAndHolds(true));
  char buffer[64] = {};
  ASSERT_EQ(::pread(copy->get(), buffer, sizeof(buffer), 0), 22);
  EXPECT_STREQ(buffer, "#!/bin/true\nsome bytes");
  char link[64];
  std::string proc = "/proc/self/fd/" + std::to_string(copy->get());
  ssize_t n = ::readlink(proc.c_str(), link, sizeof(link));
  EXPECT_EQ(std::string(link, n > 0 ? n : 0), "/memfd:sealed-exe-test (deleted)");
}

TEST(IsSealedMemfdTest, MemfdWithoutEverySealIsNot) {
  UniqueFd unsealable(::memfd_create("no-sealing", MFD_CLOEXEC));  // born with F_SEAL_SEAL
  ASSERT_TRUE(unsealable.valid());
  EXPECT_THAT(IsSealedMemfd(unsealable.get()), IsOkAndHolds(false));
  UniqueFd partly(::memfd_create("partly", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  ASSERT_TRUE(partly.valid());
  EXPECT_THAT(IsSealedMemfd(partly.get()), IsOkAndHolds(false));
  ASSERT_EQ(::fcntl(partly.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK), 0);
  EXPECT_THAT(IsSealedMemfd(partly.get()), IsOkAndHolds(false));
}

TEST(IsSealedMemfdTest, RegularFilesAreNot) {
  TempFile file("text");
  ASSERT_TRUE(file.fd() >= 0);
  EXPECT_THAT(IsSealedMemfd(file.fd()), IsOkAndHolds(false));
  UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(self.valid());
  EXPECT_THAT(IsSealedMemfd(self.get()), IsOkAndHolds(false));
}

TEST(IsSealedMemfdTest, ClosedFdIsAnError) { EXPECT_FALSE(IsSealedMemfd(-1).ok()); }

TEST(SealedCopyTest, EveryWayOfWritingIsRefused) {
  TempFile file("original");
  ASSERT_TRUE(file.fd() >= 0);
  absl::StatusOr<UniqueFd> copy = SealedCopy(file.fd(), "sealed-exe-test");
  ASSERT_THAT(copy, IsOk());
  int fd = copy->get();
  errno = 0;
  EXPECT_EQ(::pwrite(fd, "X", 1, 0), -1);
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(::ftruncate(fd, 0), -1);
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(::ftruncate(fd, 4096), -1);
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(::mmap(nullptr, 8, PROT_WRITE, MAP_SHARED, fd, 0), MAP_FAILED);
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(::fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), -1);  // the seals are final
  EXPECT_EQ(errno, EPERM);

  // CVE-2019-5736's move: reopen the file through /proc for writing.
  std::string proc = "/proc/self/fd/" + std::to_string(fd);
  errno = 0;
  EXPECT_EQ(::open(proc.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC), -1);
  EXPECT_EQ(errno, EPERM);
  UniqueFd reopened(::open(proc.c_str(), O_RDWR | O_CLOEXEC));
  if (reopened.valid()) {
    errno = 0;
    EXPECT_EQ(::write(reopened.get(), "X", 1), -1);
    EXPECT_EQ(errno, EPERM);
  }
  char buffer[16] = {};
  EXPECT_EQ(::pread(fd, buffer, sizeof(buffer), 0), 8);
  EXPECT_STREQ(buffer, "original");
}

// A directory in the temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    path_ = (std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp");
    path_ += "/sealed_exe_test.XXXXXX";
    if (::mkdtemp(path_.data()) == nullptr) path_.clear();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct HelperResult {
  int exit_code = -1;
  std::string out;
};

// Runs the helper program with `args` and SEALED_EXE_TEST_VAR=kept and `env` ("K=V")
// in its environment.
HelperResult RunHelper(const std::vector<std::string>& args, std::vector<std::string> env) {
  std::vector<std::string> strings = {SEALED_EXE_TEST_HELPER};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  env.push_back("SEALED_EXE_TEST_VAR=kept");
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  HelperResult result;
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  char buffer[4096];
  for (ssize_t n; rc == 0 && (n = ::read(out[0], buffer, sizeof(buffer))) > 0;) {
    result.out.append(buffer, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  if (rc == 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

TEST(EnsureSealedSelfTest, ReexecutesFromASealedCopyWithTheSameArgsAndEnvironment) {
  HelperResult r = RunHelper({"one", "two words", ""}, {"SEALED_EXE_TEST_KIND=copy"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "memfd=1\n"
            "overlay=0\n"
            "exe=/memfd:berth-oci (deleted)\n"
            "comm=oci_sealed_exe_\n"  // its argv[0], as comm holds it (15 bytes)
            "arg=one\n"
            "arg=two words\n"
            "arg=\n"
            "var=kept\n");
}

TEST(EnsureSealedSelfTest, WithoutASpareLayerItCopies) {
  HelperResult r = RunHelper({"x"}, {});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, ::testing::StartsWith("memfd=1\noverlay=0\n"));
}

// Whether this process may mount an overlayfs (root, Linux 5.2's fsopen).
bool CanMountOverlay() {
  UniqueFd context(static_cast<int>(::syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC)));
  return context.valid();
}

TEST(EnsureSealedSelfTest, ReexecutesFromTheReadOnlyOverlayView) {
  if (!CanMountOverlay()) GTEST_SKIP() << "cannot mount overlayfs here";
  TempDir spare;
  HelperResult r = RunHelper({"one", "two words"}, {"SEALED_EXE_TEST_SPARE=" + spare.path()});
  EXPECT_EQ(r.exit_code, 0);
  std::string name = std::filesystem::path(SEALED_EXE_TEST_HELPER).filename();
  EXPECT_EQ(r.out,
            "memfd=0\n"
            "overlay=1\n"
            "exe=/" +
                name +
                "\n"  // the path inside the overlay, which is attached nowhere
                "comm=oci_sealed_exe_\n"
                "arg=one\n"
                "arg=two words\n"
                "var=kept\n");
}

TEST(EnsureSealedSelfTest, AnOverlappingSpareLayerFallsBackToTheCopy) {
  if (!CanMountOverlay()) GTEST_SKIP() << "cannot mount overlayfs here";
  std::string holder = std::filesystem::path(SEALED_EXE_TEST_HELPER).parent_path().parent_path();
  HelperResult r = RunHelper({}, {"SEALED_EXE_TEST_SPARE=" + holder});  // overlayfs: ELOOP
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, ::testing::StartsWith("memfd=1\noverlay=0\n"));
}

// A file holding "original" in a directory of its own, open for reading, and a spare layer.
class ReadOnlyOverlayViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!CanMountOverlay()) GTEST_SKIP() << "cannot mount overlayfs here";
    { std::ofstream(path_) << "original"; }
    file_.Reset(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(file_.valid());
  }

  TempDir dir_, spare_;
  std::string path_ = dir_ / "runtime";
  UniqueFd file_;
};

TEST_F(ReadOnlyOverlayViewTest, ShowsTheFileAndRefusesEveryWrite) {
  absl::StatusOr<UniqueFd> view = ReadOnlyOverlayView(file_.get(), spare_.path());
  ASSERT_THAT(view, IsOk());
  EXPECT_THAT(IsOnReadOnlyOverlay(view->get()), IsOkAndHolds(true));
  EXPECT_THAT(IsOnReadOnlyOverlay(file_.get()), IsOkAndHolds(false));

  // CVE-2019-5736's move: reopen the file through /proc for writing.
  std::string proc = "/proc/self/fd/" + std::to_string(view->get());
  errno = 0;
  EXPECT_EQ(::open(proc.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC), -1);
  EXPECT_EQ(errno, EROFS);
  errno = 0;
  EXPECT_EQ(::open(proc.c_str(), O_RDWR | O_CLOEXEC), -1);
  EXPECT_EQ(errno, EROFS);
  UniqueFd reader(::open(proc.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(reader.valid());
  char buffer[16] = {};
  EXPECT_EQ(::read(reader.get(), buffer, sizeof(buffer)), 8);
  EXPECT_STREQ(buffer, "original");
  // Nothing is mounted where anyone could see it.
  EXPECT_THAT(ReadFileText("/proc/self/mountinfo"),
              IsOkAndHolds(::testing::Not(::testing::HasSubstr(spare_.path()))));
}

TEST_F(ReadOnlyOverlayViewTest, RefusesAFileReplacedSinceItWasOpened) {
  std::string next = dir_ / "runtime.next";
  { std::ofstream(next) << "an upgrade, longer"; }
  ASSERT_EQ(::rename(next.c_str(), path_.c_str()), 0);  // the open file is now unlinked
  EXPECT_FALSE(ReadOnlyOverlayView(file_.get(), spare_.path()).ok());
}

}  // namespace
}  // namespace berth::oci
