#include "shim/oci/default_seccomp.h"

#include <errno.h>
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace berth::oci {
namespace {

// Allowed for every container, grouped by what they are for. Names some architecture or
// kernel lacks are harmless: CompileSeccomp skips them.
constexpr absl::string_view kFiles =
    "access chdir chmod chown chown32 close close_range copy_file_range creat dup dup2 dup3 "
    "faccessat faccessat2 fadvise64 fadvise64_64 fallocate fchdir fchmod fchmodat fchown "
    "fchown32 fchownat fcntl fcntl64 fdatasync flock fstat fstat64 fstatat64 fstatfs "
    "fstatfs64 fsync ftruncate ftruncate64 futimesat getcwd getdents getdents64 lchown "
    "lchown32 link linkat _llseek lseek lstat lstat64 mkdir mkdirat mknod mknodat "
    "name_to_handle_at newfstatat open openat openat2 pread64 preadv preadv2 pwrite64 "
    "pwritev pwritev2 read readahead readlink readlinkat readv rename renameat renameat2 "
    "rmdir sendfile sendfile64 splice stat stat64 statfs statfs64 statx symlink symlinkat "
    "sync sync_file_range syncfs tee truncate truncate64 umask unlink unlinkat utime "
    "utimensat utimensat_time64 utimes vmsplice write writev";

constexpr absl::string_view kExtendedAttributes =
    "fgetxattr flistxattr fremovexattr fsetxattr getxattr lgetxattr listxattr llistxattr "
    "lremovexattr lsetxattr removexattr setxattr";

// Waiting on many descriptors, notifications and asynchronous I/O.
constexpr absl::string_view kEvents =
    "epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait "
    "epoll_wait_old eventfd eventfd2 fanotify_mark inotify_add_watch inotify_init "
    "inotify_init1 inotify_rm_watch io_cancel io_destroy io_getevents io_pgetevents "
    "io_pgetevents_time64 io_setup io_submit io_uring_enter io_uring_register "
    "io_uring_setup ioctl _newselect pipe pipe2 poll ppoll ppoll_time64 pselect6 "
    "pselect6_time64 select signalfd signalfd4 timerfd_create timerfd_gettime "
    "timerfd_gettime64 timerfd_settime timerfd_settime64";

constexpr absl::string_view kMemory =
    "brk madvise membarrier memfd_create memfd_secret mincore mlock mlock2 mlockall mmap "
    "mmap2 mprotect mremap msync munlock munlockall munmap pkey_alloc pkey_free "
    "pkey_mprotect remap_file_pages";

constexpr absl::string_view kProcesses =
    "capget capset execve execveat exit exit_group fork futex futex_time64 futex_waitv "
    "get_robust_list get_thread_area getcpu getpgid getpgrp getpid getppid getpriority "
    "getrandom getrlimit getrusage getsid gettid ioprio_get ioprio_set kill "
    "landlock_add_rule landlock_create_ruleset landlock_restrict_self pidfd_open "
    "pidfd_send_signal prctl prlimit64 process_mrelease restart_syscall rseq "
    "sched_get_priority_max sched_get_priority_min sched_getaffinity sched_getattr "
    "sched_getparam sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 "
    "sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield seccomp "
    "set_robust_list set_thread_area set_tid_address setpgid setpriority setrlimit setsid "
    "sysinfo tgkill times tkill ugetrlimit uname vfork wait4 waitid waitpid";

// Tracing: before Linux 4.8 a tracer could rewrite a call after seccomp had passed it;
// berth needs newer kernels anyway (openat2 is 5.6).
constexpr absl::string_view kTracing = "process_vm_readv process_vm_writev ptrace";

constexpr absl::string_view kIdentity =
    "getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getresgid "
    "getresgid32 getresuid getresuid32 getuid getuid32 setfsgid setfsgid32 setfsuid "
    "setfsuid32 setgid setgid32 setgroups setgroups32 setregid setregid32 setresgid "
    "setresgid32 setresuid setresuid32 setreuid setreuid32 setuid setuid32";

constexpr absl::string_view kSignals =
    "alarm pause rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn "
    "rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sigaltstack "
    "sigprocmask sigreturn";

// Reading clocks and timers; setting the clock needs CAP_SYS_TIME (below). adjtimex and
// clock_adjtime only read without it.
constexpr absl::string_view kTime =
    "adjtimex clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime "
    "clock_gettime64 clock_nanosleep clock_nanosleep_time64 getitimer gettimeofday "
    "nanosleep setitimer time timer_create timer_delete timer_getoverrun timer_gettime "
    "timer_gettime64 timer_settime timer_settime64";

// Sockets; socket() itself is below (not for AF_VSOCK).
constexpr absl::string_view kSockets =
    "accept accept4 bind connect getpeername getsockname getsockopt listen recv recvfrom "
    "recvmmsg recvmmsg_time64 recvmsg send sendmmsg sendmsg sendto setsockopt shutdown "
    "socketcall socketpair";

// System V and POSIX message queues, semaphores and shared memory.
constexpr absl::string_view kIpc =
    "ipc mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 "
    "mq_timedsend mq_timedsend_time64 mq_unlink msgctl msgget msgrcv msgsnd semctl semget "
    "semop semtimedop semtimedop_time64 shmat shmctl shmdt shmget";

// Calls a capability guards: allowed only when the container has it.
struct Guarded {
  const char* capability;
  absl::string_view names;
};

constexpr Guarded kGuarded[] = {
    {"CAP_DAC_READ_SEARCH", "open_by_handle_at"},
    {"CAP_SYS_ADMIN",
     "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount "
     "mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname "
     "sethostname setns syslog umount umount2 unshare"},
    {"CAP_SYS_BOOT", "reboot"},
    {"CAP_SYS_CHROOT", "chroot"},
    {"CAP_SYS_MODULE", "delete_module init_module finit_module"},
    {"CAP_SYS_PACCT", "acct"},
    {"CAP_SYS_PTRACE",
     "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace"},
    {"CAP_SYS_RAWIO", "iopl ioperm"},
    {"CAP_SYS_TIME", "settimeofday stime clock_settime clock_settime64"},
    {"CAP_SYS_TTY_CONFIG", "vhangup"},
    {"CAP_SYS_NICE", "get_mempolicy mbind set_mempolicy set_mempolicy_home_node"},
    {"CAP_SYSLOG", "syslog"},
    {"CAP_BPF", "bpf"},
    {"CAP_PERFMON", "perf_event_open"},
};

// Personas a program may ask for: PER_LINUX, with UNAME26 and/or ADDR_NO_RANDOMIZE
// (0x8, 0x20000), and 0xffffffff, which only queries.
constexpr uint64_t kPersonas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

// Namespace flags clone() may not carry without CAP_SYS_ADMIN.
constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                     CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;

// The native architecture's entries: the architectures it also runs, its own calls, and
// which clone() argument holds the flags (s390 swaps the first two).
struct NativeArch {
  std::vector<std::string> architectures;
  std::vector<std::string> syscalls;
  uint32_t clone_flags_index = 0;
};

NativeArch Native() {
#if defined(__x86_64__)
  return {{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}, {"arch_prctl", "modify_ldt"}, 0};
#elif defined(__aarch64__)
  return {{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"},
          {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
           "cacheflush", "set_tls"},
          0};
#elif defined(__s390x__)
  return {{"SCMP_ARCH_S390X", "SCMP_ARCH_S390"},
          {"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"},
          1};
#elif defined(__riscv) && __riscv_xlen == 64
  return {{"SCMP_ARCH_RISCV64"}, {"riscv_flush_icache"}, 0};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return {{}, {"sync_file_range2", "swapcontext"}, 0};
#else
  return {};
#endif
}

Syscall Allow(absl::string_view names) {
  return SyscallRule(absl::StrSplit(names, ' ', absl::SkipEmpty()), "SCMP_ACT_ALLOW");
}

}  // namespace

Syscall SyscallRule(std::vector<std::string> names, std::string action,
                    std::optional<uint32_t> errno_ret, std::vector<SyscallArg> args) {
  Syscall rule;
  rule.names = std::move(names);
  rule.action = std::move(action);
  rule.errno_ret = errno_ret;
  rule.args = std::move(args);
  return rule;
}

const std::vector<std::string>& DockerDefaultCapabilities() {
  static const auto* caps = new std::vector<std::string>{
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return *caps;
}

Seccomp DockerDefaultSeccomp(const std::vector<std::string>& capabilities) {
  auto has = [&](const char* cap) {
    return std::find(capabilities.begin(), capabilities.end(), cap) != capabilities.end();
  };
  NativeArch native = Native();
  Seccomp profile;
  profile.default_action = "SCMP_ACT_ERRNO";
  profile.default_errno_ret = EPERM;
  profile.architectures = native.architectures;
  for (absl::string_view group : {kFiles, kExtendedAttributes, kEvents, kMemory, kProcesses,
                                  kTracing, kIdentity, kSignals, kTime, kSockets, kIpc}) {
    profile.syscalls.push_back(Allow(group));
  }
  // vsock reaches the host (or the VM's hypervisor) outside the network namespace.
  profile.syscalls.push_back(SyscallRule({"socket"}, "SCMP_ACT_ALLOW", std::nullopt,
                                         {SyscallArg{0, AF_VSOCK, 0, "SCMP_CMP_NE"}}));
  for (uint64_t persona : kPersonas) {
    profile.syscalls.push_back(SyscallRule({"personality"}, "SCMP_ACT_ALLOW", std::nullopt,
                                           {SyscallArg{0, persona, 0, "SCMP_CMP_EQ"}}));
  }
  if (!native.syscalls.empty())
    profile.syscalls.push_back(SyscallRule(native.syscalls, "SCMP_ACT_ALLOW"));
  for (const Guarded& guarded : kGuarded) {
    if (has(guarded.capability)) profile.syscalls.push_back(Allow(guarded.names));
  }
  if (!has("CAP_SYS_ADMIN")) {
    // Threads and processes, but no new namespaces. clone3 passes its flags in memory,
    // where seccomp cannot look: ENOSYS makes libc fall back to clone.
    profile.syscalls.push_back(SyscallRule(
        {"clone"}, "SCMP_ACT_ALLOW", std::nullopt,
        {SyscallArg{native.clone_flags_index, kNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ"}}));
    profile.syscalls.push_back(SyscallRule({"clone3"}, "SCMP_ACT_ERRNO", ENOSYS));
  }
  return profile;
}

Seccomp DockerDefaultSeccomp() { return DockerDefaultSeccomp(DockerDefaultCapabilities()); }

}  // namespace berth::oci
