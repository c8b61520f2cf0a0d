#include "shim/oci/seccomp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status_matchers.h"
#include "shim/oci/default_seccomp.h"

namespace berth::oci {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

SyscallArg Arg(uint32_t index, std::string op, uint64_t value, uint64_t value_two = 0) {
  return SyscallArg{index, value, value_two, std::move(op)};
}

// Forks a child that sets no_new_privs (so no privilege is needed), installs `program`
// and exits with what `body` returns; gives back the wait status.
int RunUnderFilter(const SeccompProgram& program, int (*body)()) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
    ChildError error;
    int rc = InstallSeccomp(program, &error);
    if (rc < 0) _exit(101);
    if (rc > 0) ::close(rc);
    _exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

Seccomp GetpidFails42() {
  Seccomp spec;
  spec.default_action = "SCMP_ACT_ALLOW";
  spec.syscalls = {SyscallRule({"getpid"}, "SCMP_ACT_ERRNO", 42)};
  return spec;
}

TEST(SeccompTest, ErrnoRuleFailsOnlyItsSyscall) {
  absl::StatusOr<SeccompProgram> program = CompileSeccomp(GetpidFails42());
  ASSERT_THAT(program, IsOk());
  EXPECT_FALSE(program->filter.empty());
  EXPECT_FALSE(program->notify);
  int status = RunUnderFilter(*program, [] {
    errno = 0;
    if (::syscall(SYS_getpid) != -1 || errno != 42) return 1;
    if (::write(STDOUT_FILENO, "", 0) != 0) return 2;
    return ::syscall(SYS_getppid) > 0 ? 0 : 3;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompTest, ArgumentConditionsSelectTheCall) {
  // An allow list: personality only to query (0xffffffff), everything else EPERM.
  Seccomp spec;
  spec.default_action = "SCMP_ACT_ERRNO";
  spec.syscalls = {
      SyscallRule({"exit", "exit_group", "write"}, "SCMP_ACT_ALLOW"),
      SyscallRule({"personality"}, "SCMP_ACT_ALLOW", std::nullopt,
                  {Arg(0, "SCMP_CMP_EQ", 0xffffffff)}),
  };
  absl::StatusOr<SeccompProgram> program = CompileSeccomp(spec);
  ASSERT_THAT(program, IsOk());
  int status = RunUnderFilter(*program, [] {
    if (::syscall(SYS_personality, 0xffffffffUL) == -1) return 1;
    errno = 0;
    if (::syscall(SYS_personality, static_cast<unsigned long>(PER_LINUX32)) != -1) return 2;
    if (errno != EPERM) return 3;
    errno = 0;
    if (::syscall(SYS_getppid) != -1 || errno != EPERM) return 4;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompTest, MaskedEqualComparesTheMaskedBits) {
  // unshare only without CLONE_NEWUSER and CLONE_NEWNET (Docker's clone rule's shape).
  Seccomp spec;
  spec.default_action = "SCMP_ACT_ERRNO";
  spec.default_errno_ret = 38;
  spec.syscalls = {
      SyscallRule({"exit", "exit_group"}, "SCMP_ACT_ALLOW"),
      SyscallRule({"unshare"}, "SCMP_ACT_ALLOW", std::nullopt,
                  {Arg(0, "SCMP_CMP_MASKED_EQ", CLONE_NEWUSER | CLONE_NEWNET, 0)}),
  };
  absl::StatusOr<SeccompProgram> program = CompileSeccomp(spec);
  ASSERT_THAT(program, IsOk());
  int status = RunUnderFilter(*program, [] {
    errno = 0;
    if (::syscall(SYS_unshare, CLONE_NEWUSER) != -1 || errno != 38) return 1;
    return ::syscall(SYS_unshare, CLONE_FILES) == 0 ? 0 : 2;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompTest, KillProcessDefaultKillsWithSigsys) {
  Seccomp spec;
  spec.default_action = "SCMP_ACT_KILL_PROCESS";
  spec.syscalls = {SyscallRule({"exit", "exit_group"}, "SCMP_ACT_ALLOW")};
  absl::StatusOr<SeccompProgram> program = CompileSeccomp(spec);
  ASSERT_THAT(program, IsOk());
  int status = RunUnderFilter(*program, [] {
    ::syscall(SYS_getppid);
    return 0;
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST(SeccompTest, UnknownSyscallNamesAreSkipped) {
  Seccomp spec = GetpidFails42();
  spec.syscalls[0].names = {"no_such_syscall", "getpid"};
  absl::StatusOr<SeccompProgram> program = CompileSeccomp(spec);
  ASSERT_THAT(program, IsOk());
  int status = RunUnderFilter(*program, [] {
    errno = 0;
    return ::syscall(SYS_getpid) == -1 && errno == 42 ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompTest, RepeatedArgumentIndexMatchesAnyCondition) {
  // Two conditions on arg 0 cannot share a rule; each becomes its own (runc's rule).
  Seccomp spec;
  spec.default_action = "SCMP_ACT_ALLOW";
  spec.syscalls = {
      SyscallRule({"getpriority"}, "SCMP_ACT_ERRNO", 42,
                  {Arg(0, "SCMP_CMP_EQ", PRIO_PGRP), Arg(0, "SCMP_CMP_EQ", PRIO_USER)})};
  absl::StatusOr<SeccompProgram> program = CompileSeccomp(spec);
  ASSERT_THAT(program, IsOk());
  int status = RunUnderFilter(*program, [] {
    errno = 0;
    if (::syscall(SYS_getpriority, PRIO_PGRP, 0) != -1 || errno != 42) return 1;
    errno = 0;
    if (::syscall(SYS_getpriority, PRIO_USER, 0) != -1 || errno != 42) return 2;
    return ::syscall(SYS_getpriority, PRIO_PROCESS, 0) >= 0 ? 0 : 3;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompTest, NotifyMakesAListener) {
  Seccomp spec;
  spec.default_action = "SCMP_ACT_ALLOW";
  spec.listener_path = "/run/listener.sock";
  spec.syscalls = {SyscallRule({"getppid"}, "SCMP_ACT_NOTIFY")};
  absl::StatusOr<SeccompProgram> program = CompileSeccomp(spec);
  ASSERT_THAT(program, IsOk());
  EXPECT_TRUE(program->notify);
  int status = RunUnderFilter(*program, [] {
    // RunUnderFilter closed the listener: with nobody to ask the kernel says ENOSYS.
    errno = 0;
    return ::syscall(SYS_getppid) == -1 && errno == ENOSYS ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompTest, FlagsBecomeFilterFlags) {
  Seccomp spec = GetpidFails42();
  spec.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  absl::StatusOr<SeccompProgram> program = CompileSeccomp(spec);
  ASSERT_THAT(program, IsOk());
  EXPECT_EQ(program->flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
}

TEST(SeccompTest, ArchitecturesAreAdded) {
  Seccomp spec = GetpidFails42();
  spec.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  absl::StatusOr<SeccompProgram> with_arches = CompileSeccomp(spec);
  absl::StatusOr<SeccompProgram> native = CompileSeccomp(GetpidFails42());
  ASSERT_THAT(with_arches, IsOk());
  ASSERT_THAT(native, IsOk());
#if defined(__x86_64__)
  EXPECT_GT(with_arches->filter.size(), native->filter.size());
#endif
}

TEST(SeccompTest, DockerDefaultProfileDeniesNamespacesAndMounts) {
  absl::StatusOr<SeccompProgram> program = CompileSeccomp(DockerDefaultSeccomp());
  ASSERT_THAT(program, IsOk());
  int status = RunUnderFilter(*program, [] {
    if (::syscall(SYS_getppid) <= 0) return 1;
    errno = 0;
    if (::syscall(SYS_unshare, CLONE_NEWUSER) != -1 || errno != EPERM) return 2;
    errno = 0;
    if (::syscall(SYS_mount, "none", "/", "tmpfs", 0, nullptr) != -1 || errno != EPERM) return 3;
    errno = 0;
    if (::syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS) return 4;
    pid_t child = ::fork();  // clone without namespace flags
    if (child == 0) _exit(0);
    return child > 0 ? 0 : 5;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompTest, BadFieldsAreNamed) {
  Seccomp spec = GetpidFails42();
  spec.syscalls.push_back(SyscallRule({"getppid"}, "SCMP_ACT_MAYBE"));
  EXPECT_THAT(CompileSeccomp(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("linux.seccomp.syscalls[1].action: unknown seccomp action "
                                 "\"SCMP_ACT_MAYBE\"")));

  spec = GetpidFails42();
  spec.default_action = "SCMP_ACT_NOPE";
  EXPECT_THAT(CompileSeccomp(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("linux.seccomp.defaultAction")));

  spec = GetpidFails42();
  spec.syscalls[0].args = {Arg(0, "SCMP_CMP_ABOUT", 1)};
  EXPECT_THAT(
      CompileSeccomp(spec),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator")));

  spec = GetpidFails42();
  spec.syscalls[0].args = {Arg(6, "SCMP_CMP_EQ", 1)};
  EXPECT_THAT(CompileSeccomp(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("linux.seccomp.syscalls[0].args[0].index")));

  spec = GetpidFails42();
  spec.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"};
  EXPECT_THAT(CompileSeccomp(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("linux.seccomp.architectures[1]: unknown seccomp architecture")));

  spec = GetpidFails42();
  spec.flags = {"SECCOMP_FILTER_FLAG_FAST"};
  EXPECT_THAT(CompileSeccomp(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("linux.seccomp.flags[0]: unknown")));

  spec = GetpidFails42();
  spec.syscalls[0].errno_ret = 70000;
  EXPECT_THAT(CompileSeccomp(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("linux.seccomp.syscalls[0].errnoRet")));
}

// A private directory that is removed with what is in it.
class CacheDir {
 public:
  CacheDir() {
    char path[] = "/tmp/berth-seccomp-cache-XXXXXX";
    dir_ = ::mkdtemp(path);
  }
  ~CacheDir() {
    SetSeccompCacheDir("");
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  const std::string& path() const { return dir_; }
  std::vector<std::string> Files() const {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      files.push_back(entry.path());
    }
    return files;
  }

 private:
  std::string dir_;
};

bool SameProgram(const SeccompProgram& a, const SeccompProgram& b) {
  return a.flags == b.flags && a.notify == b.notify && a.filter.size() == b.filter.size() &&
         std::memcmp(a.filter.data(), b.filter.data(), a.filter.size() * sizeof(sock_filter)) == 0;
}

TEST(SeccompCacheTest, ASecondCompileReadsTheFirstOnesProgram) {
  absl::StatusOr<SeccompProgram> uncached = CompileSeccomp(DockerDefaultSeccomp());
  ASSERT_THAT(uncached, IsOk());
  CacheDir cache;
  SetSeccompCacheDir(cache.path());
  absl::StatusOr<SeccompProgram> first = CompileSeccomp(DockerDefaultSeccomp());
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(cache.Files().size(), 1u);
  absl::StatusOr<SeccompProgram> second = CompileSeccomp(DockerDefaultSeccomp());
  ASSERT_THAT(second, IsOk());
  EXPECT_TRUE(SameProgram(*uncached, *first));
  EXPECT_TRUE(SameProgram(*uncached, *second));
  // Another profile is another file, and its own program.
  absl::StatusOr<SeccompProgram> other = CompileSeccomp(GetpidFails42());
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(cache.Files().size(), 2u);
  EXPECT_EQ(RunUnderFilter(*CompileSeccomp(GetpidFails42()),
                           [] {
                             errno = 0;
                             return ::syscall(SYS_getpid) == -1 && errno == 42 ? 0 : 1;
                           }),
            0);
}

TEST(SeccompCacheTest, ADamagedFileIsCompiledAgain) {
  CacheDir cache;
  SetSeccompCacheDir(cache.path());
  ASSERT_THAT(CompileSeccomp(GetpidFails42()), IsOk());
  ASSERT_EQ(cache.Files().size(), 1u);
  const std::string file = cache.Files()[0];
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - 3);
  absl::StatusOr<SeccompProgram> again = CompileSeccomp(GetpidFails42());
  ASSERT_THAT(again, IsOk());
  SetSeccompCacheDir("");
  EXPECT_TRUE(SameProgram(*again, *CompileSeccomp(GetpidFails42())));
}

}  // namespace
}  // namespace berth::oci
