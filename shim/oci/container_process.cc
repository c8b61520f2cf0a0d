#include "shim/oci/container_process.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "shim/oci/cgroup_view_plan.h"
#include "shim/oci/child_error.h"
#include "shim/oci/console.h"
#include "shim/oci/namespace_plan.h"
#include "shim/oci/process_plan.h"
#include "shim/oci/rootfs_plan.h"
#include "shim/oci/rootfs_setup.h"
#include "shim/oci/seccomp.h"
#include "shim/oci/seccomp_listener.h"
#include "shim/oci/spec_cgroup.h"
#include "shim/oci/syscalls.h"

namespace berth::oci {
namespace {

struct ChildContext {
  const RootfsPlan* rootfs;
  const ProcessPlan* process;
  const NamespacePlan* namespaces;
  bool setup_rootfs;
  bool no_pivot;
  int sync_read;              // parent says "go" once id maps are written
  int error_write;            // CLOEXEC: closed by a successful exec
  int exec_fifo_fd;           // O_PATH, or -1
  int console_socket;         // connected, or -1: with process.terminal, where the pty master goes
  unsigned preserve_fds = 0;  // fds 3 .. 3+n-1 stay open across exec (runc's --preserve-fds)
  bool pause_before_pivot = false;           // let the parent run hooks once the mounts are made
  std::array<int, 3> stdio = kInheritStdio;  // put on fds 0, 1, 2 first; -1 keeps the parent's
  // A socket to the parent, or -1: a seccomp listener fd goes over it to the parent, which
  // passes it on to linux.seccomp.listenerPath and answers with a byte.
  int seccomp_socket = -1;
  int seccomp_socket_peer = -1;  // the parent's end, closed first: its death then reads as EOF
  // The name of a new session keyring to join (runc's "_ses.<id>"), or null to keep the
  // caller's.
  const char* session_keyring = nullptr;
  // The parent's ends of the sync and error pipes, closed first: the parent's death then
  // reads as EOF (a child waiting for the hooks to run would otherwise wait for ever).
  int sync_write = -1;
  int error_read = -1;
};

// A new session keyring, so that the container does not share the keys of whoever
// started it; possessor may do anything, the user view, read, search and link (runc's
// default). A kernel without keys support (ENOSYS) is no error, as in runc.
constexpr uint32_t kSessionKeyringPermissions = 0x3f000000     // KEY_POS_ALL
                                                | 0x00010000   // KEY_USR_VIEW
                                                | 0x00020000   // KEY_USR_READ
                                                | 0x00080000   // KEY_USR_SEARCH
                                                | 0x00100000;  // KEY_USR_LINK

// Records on the error pipe with error 0 that are not failures: the parent acts, then
// lets the child go on.
constexpr char kHooksMarker[] = "hooks";
constexpr char kSeccompMarker[] = "seccomp";

int WriteMarker(int error_write, const char* marker, size_t size, ChildError* error) {
  ChildError record;
  std::memcpy(record.message, marker, size);
  if (::write(error_write, &record, sizeof(record)) != sizeof(record)) {
    return Fail(error, errno, "reporting to the parent");
  }
  return 0;
}

// Tells the parent the mounts are made (a record with error 0 and kHooksMarker) and
// waits for its byte on the sync pipe.
int PauseForHooks(void* arg, ChildError* error) {
  const ChildContext& c = *static_cast<const ChildContext*>(arg);
  if (int rc = WriteMarker(c.error_write, kHooksMarker, sizeof(kHooksMarker), error); rc < 0) {
    return rc;
  }
  char go = 0;
  if (::read(c.sync_read, &go, 1) != 1) return Fail(error, EPIPE, "waiting for the hooks");
  return 0;
}

int WriteSysctl(const ProcessPlan::Sysctl& sysctl, ChildError* error) {
  int fd = ::open(sysctl.path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Fail(error, errno, "opening sysctl", sysctl.path);
  struct statfs fs {};
  // The write must reach procfs, not something mounted over /proc/sys.
  if (::fstatfs(fd, &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC) {
    ::close(fd);
    return Fail(error, EPERM, "sysctl is not on procfs:", sysctl.path);
  }
  ssize_t n = ::write(fd, sysctl.value, std::strlen(sysctl.value));
  int saved = errno;
  ::close(fd);
  if (n < 0) return Fail(error, saved, "writing sysctl", sysctl.path);
  return 0;
}

// unshare(CLONE_NEWTIME) puts the caller's children in a new time namespace, not the
// caller; its offsets can be set only until a process enters it. Then the child enters
// it itself: older kernels (Debian's 6.1) do not move a process into it at exec.
int EnterTimeNamespace(const NamespacePlan& n, ChildError* error) {
  constexpr int kCloneNewTime = 0x00000080;  // CLONE_NEWTIME
  if (::unshare(kCloneNewTime) != 0) return Fail(error, errno, "unshare of the time namespace");
  if (!n.time_offsets.empty()) {
    int fd = ::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Fail(error, errno, "opening /proc/self/timens_offsets");
    // One write: the kernel applies all the lines of a write or none.
    ssize_t written = ::write(fd, n.time_offsets.data(), n.time_offsets.size());
    int saved = errno;
    ::close(fd);
    if (written != static_cast<ssize_t>(n.time_offsets.size())) {
      return Fail(error, written < 0 ? saved : EIO, "writing linux.timeOffsets");
    }
  }
  int ns = ::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
  if (ns < 0) return Fail(error, errno, "opening /proc/self/ns/time_for_children");
  int rc = ::setns(ns, kCloneNewTime);
  int saved = errno;
  ::close(ns);
  if (rc != 0) return Fail(error, saved, "entering the new time namespace");
  return 0;
}

int ApplyCapabilities(const ProcessPlan& p, ChildError* error) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].effective = static_cast<uint32_t>(p.effective);
  data[1].effective = static_cast<uint32_t>(p.effective >> 32);
  data[0].permitted = static_cast<uint32_t>(p.permitted);
  data[1].permitted = static_cast<uint32_t>(p.permitted >> 32);
  data[0].inheritable = static_cast<uint32_t>(p.inheritable);
  data[1].inheritable = static_cast<uint32_t>(p.inheritable >> 32);
  if (::syscall(SYS_capset, &header, data) != 0) return Fail(error, errno, "capset");
  for (int cap = 0; cap <= p.last_cap; ++cap) {
    if ((p.ambient >> cap) & 1) {
      if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
        return Fail(error, errno, "raising ambient capability");
      }
    }
  }
  return 0;
}

// Identity and privileges, in runc's order: bounding set while CAP_SETPCAP is still
// held, keep capabilities across the uid change, then the final sets.
int ApplyIdentity(const ProcessPlan& p, ChildError* error) {
  for (int cap = 0; cap <= p.last_cap; ++cap) {
    if (((p.bounding >> cap) & 1) == 0 && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 &&
        errno != EINVAL) {
      return Fail(error, errno, "dropping bounding capability");
    }
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Fail(error, errno, "PR_SET_KEEPCAPS");
  if (::setgroups(p.groups.size(), p.groups.data()) != 0 && errno != EPERM) {
    return Fail(error, errno, "setgroups");
  }
  if (::setresgid(p.gid, p.gid, p.gid) != 0) return Fail(error, errno, "setresgid");
  if (::setresuid(p.uid, p.uid, p.uid) != 0) return Fail(error, errno, "setresuid");
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return Fail(error, errno, "PR_SET_KEEPCAPS");
  return ApplyCapabilities(p, error);
}

// Sends the listener fd over the seccomp socket, tells the parent (a marker record) and
// waits for its byte: by then the fd is with linux.seccomp.listenerPath.
int SendListenerToParent(const ChildContext& c, int listener, ChildError* error) {
  int rc = SendListenerFdRaw(c.seccomp_socket, listener);
  if (rc < 0) return Fail(error, rc, "sending the seccomp listener");
  rc = WriteMarker(c.error_write, kSeccompMarker, sizeof(kSeccompMarker), error);
  if (rc < 0) return rc;
  char byte = 0;
  if (::read(c.seccomp_socket, &byte, 1) != 1) {
    return Fail(error, EPIPE, "waiting for the seccomp listener to be passed on");
  }
  return 0;
}

// Installs linux.seccomp. A listener fd (SCMP_ACT_NOTIFY) goes to the parent when there
// is a seccomp socket; otherwise it is closed, and notified syscalls fail with ENOSYS.
int ApplySeccomp(const ChildContext& c, ChildError* error) {
  int listener = InstallSeccomp(*c.process->seccomp, error);
  if (listener <= 0) return listener;
  int rc = c.seccomp_socket >= 0 ? SendListenerToParent(c, listener, error) : 0;
  ::close(listener);
  return rc;
}

// execvpe's search over the container's PATH, without allocating: the executable's path
// in `out`, or -errno with `error` filled (done before waiting for `start`, as runc).
int FindExecutable(const ProcessPlan& p, char* out, size_t size, ChildError* error) {
  const char* file = p.argv[0];
  if (file == nullptr) return Fail(error, EINVAL, "process.args is empty");
  if (std::strchr(file, '/') != nullptr) {
    if (std::strlen(file) >= size) return Fail(error, ENAMETOOLONG, "exec", file);
    std::strcpy(out, file);
    if (::access(out, X_OK) != 0) return Fail(error, errno, "exec", file);
    return 0;
  }
  int last = ENOENT;
  char failed[PATH_MAX] = {};  // the last candidate that exists but would not run
  for (const char* dir = p.search_path; dir != nullptr && *dir != '\0';) {
    const char* end = std::strchr(dir, ':');
    size_t len = end == nullptr ? std::strlen(dir) : static_cast<size_t>(end - dir);
    if (len + std::strlen(file) + 2 < size) {
      std::memcpy(out, dir, len);
      out[len] = '/';
      std::strcpy(out + len + 1, file);
      struct stat st {};
      if (::stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
        if (::access(out, X_OK) == 0) return 0;
        last = EACCES;
        std::strcpy(failed, out);
      }
    }
    dir = end == nullptr ? nullptr : end + 1;
  }
  if (last != ENOENT) return Fail(error, last, "exec", failed);
  return FailExecutableNotFound(error, file);
}

// `exec_report` gets the exec fifo opened for writing, or stays -1.
int RunChild(const ChildContext& c, ChildError* error, int* exec_report) {
  // The process starts with no signal blocked or ignored, whatever its runtime's own
  // (a shim blocks SIGCHLD for its signalfd).
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction action {};
    if (::sigaction(sig, nullptr, &action) == 0 && action.sa_handler == SIG_IGN) {
      action.sa_handler = SIG_DFL;
      ::sigaction(sig, &action, nullptr);
    }
  }
  if (c.seccomp_socket_peer >= 0) ::close(c.seccomp_socket_peer);
  if (c.sync_write >= 0) ::close(c.sync_write);
  if (c.error_read >= 0) ::close(c.error_read);
  for (int target = 0; target < 3; ++target) {
    if (c.stdio[target] >= 0 && ::dup2(c.stdio[target], target) < 0) {
      return Fail(error, errno, "dup2 of stdio");
    }
  }
  char go = 0;
  if (::read(c.sync_read, &go, 1) != 1) return Fail(error, EPIPE, "waiting for the parent");
  int rc = 0;
  for (const NamespacePlan::Join& join : c.namespaces->joins) {
    if (join.nstype == CLONE_NEWPID) continue;  // joined by the parent before clone()
    if (::setns(join.fd, join.nstype) != 0) return Fail(error, errno, "setns", join.path);
    ::close(join.fd);
  }
  // The cgroup namespace is made only now, once the parent has placed us in our cgroup,
  // so that the cgroup is its root.
  if (c.namespaces->cgroup_namespace && ::unshare(CLONE_NEWCGROUP) != 0) {
    return Fail(error, errno, "unshare of the cgroup namespace");
  }
  if (c.namespaces->time_namespace && (rc = EnterTimeNamespace(*c.namespaces, error)) < 0) {
    return rc;
  }
  if (c.namespaces->user_namespace && (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0)) {
    return Fail(error, errno, "becoming root in the user namespace");
  }
  if (::setsid() < 0) return Fail(error, errno, "setsid");
  if (c.session_keyring != nullptr) {
    long serial = LinuxSyscalls().JoinSessionKeyring(c.session_keyring, kSessionKeyringPermissions);
    if (serial < 0 && serial != -ENOSYS) {
      return Fail(error, static_cast<int>(serial), "joining a new session keyring");
    }
  }
  BeforePivot before_pivot;
  if (c.pause_before_pivot) before_pivot = {PauseForHooks, const_cast<ChildContext*>(&c)};
  if (c.setup_rootfs &&
      (rc = SetupRootfs(*c.rootfs, c.no_pivot, LinuxSyscalls(), error, before_pivot)) < 0) {
    return rc;
  }
  ::close(c.sync_read);
  const ProcessPlan& p = *c.process;
  if (p.terminal) {
    // After pivot_root: the pty comes from the container's own devpts.
    rc = SetupConsole(c.console_socket, p.console_rows, p.console_cols,
                      /*bind_dev_console=*/c.setup_rootfs, error);
    if (rc < 0) return rc;
    ::close(c.console_socket);
  }
  for (const ProcessPlan::Sysctl& sysctl : p.sysctls) {
    if ((rc = WriteSysctl(sysctl, error)) < 0) return rc;
  }
  if (c.setup_rootfs) {
    int root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return Fail(error, errno, "opening /");
    rc = FinishRootfs(*c.rootfs, root, LinuxSyscalls(), error);
    ::close(root);
    if (rc < 0) return rc;
  }
  for (const ProcessPlan::Limit& limit : p.rlimits) {
    if (::setrlimit(limit.resource, &limit.value) != 0) return Fail(error, errno, "setrlimit");
  }
  if (p.umask >= 0) ::umask(static_cast<mode_t>(p.umask));
  // Before seccomp, which may not allow personality(2) (Docker's profile allows only
  // some personas).
  if (p.personality >= 0 &&
      (rc = LinuxSyscalls().Personality(static_cast<unsigned long>(p.personality))) < 0) {
    return Fail(error, rc, "personality");
  }
  // Seccomp goes on as late as it can, so that a profile need not allow the runtime's
  // own setup calls (runc's and crun's order). With no_new_privs any process may install
  // a filter: it goes on right before exec, and only execve (and write, to report a
  // failure) run under it. Without, installing needs CAP_SYS_ADMIN, which the identity
  // change may drop, so it goes on here; the profile must then also allow prctl,
  // setgroups, setresgid, setresuid, capset, chdir, getcwd and close_range (Docker's
  // default profile does).
  const bool late_seccomp = p.no_new_privileges;
  if (p.seccomp.has_value() && !late_seccomp && (rc = ApplySeccomp(c, error)) < 0) return rc;
  if ((rc = ApplyIdentity(p, error)) < 0) return rc;
  if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Fail(error, errno, "PR_SET_NO_NEW_PRIVS");
  }
  if (::chdir(p.cwd) != 0) return Fail(error, errno, "chdir to cwd", p.cwd);
  // A cwd reached through a leaked fd would sit outside the root (CVE-2024-21626).
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof(cwd)) == nullptr || cwd[0] != '/') {
    return Fail(error, EPERM, "cwd is outside the container's root:", p.cwd);
  }
  // Nothing of the runtime's is inherited past exec but stdio (and the error pipe,
  // which is CLOEXEC and tells the parent the exec happened).
  if (::syscall(SYS_close_range, 3u + c.preserve_fds, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) != 0) {
    return Fail(error, errno, "close_range");
  }
  char executable[PATH_MAX];
  if ((rc = FindExecutable(p, executable, sizeof(executable), error)) < 0) return rc;
  // A listener fd must reach the parent that launched us, which is gone once `start`
  // has opened the fifo: then the filter goes on before the ready report, as runc does
  // (the profile must also allow the fifo's open, write and close).
  const bool seccomp_before_fifo = late_seccomp && c.seccomp_socket >= 0 && c.exec_fifo_fd >= 0;
  if (p.seccomp.has_value() && seccomp_before_fifo && (rc = ApplySeccomp(c, error)) < 0) {
    return rc;
  }
  if (c.exec_fifo_fd >= 0) {
    // Ready: the parent may leave. Then wait, in the open, for `start` to read the fifo.
    ChildError ready;
    if (::write(c.error_write, &ready, sizeof(ready)) != sizeof(ready)) {
      return Fail(error, errno, "reporting ready");
    }
    char fifo[40];
    std::snprintf(fifo, sizeof(fifo), "/proc/self/fd/%d", c.exec_fifo_fd);
    int fd = ::open(fifo, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Fail(error, errno, "opening the exec fifo");
    char zero = 0;
    (void)!::write(fd, &zero, 1);
    // Kept open until exec closes it (CLOEXEC): `start` reads on to EOF, and a failure
    // from here on reaches it there (the process that created us may be gone).
    *exec_report = fd;
  }
  if (p.seccomp.has_value() && late_seccomp && !seccomp_before_fifo &&
      (rc = ApplySeccomp(c, error)) < 0) {
    return rc;
  }
  ::execve(executable, p.argv.data(), p.envp.data());
  return Fail(error, errno, "exec", executable);
}

int ChildMain(void* arg) {
  const ChildContext& c = *static_cast<const ChildContext*>(arg);
  ChildError error;
  int exec_report = -1;
  RunChild(c, &error, &exec_report);
  if (exec_report >= 0) {
    ::signal(SIGPIPE, SIG_IGN);  // either reader may be gone by now
    (void)!::write(exec_report, &error, sizeof(error));
  }
  (void)!::write(c.error_write, &error, sizeof(error));
  _exit(1);
}

// The parent's view of a record read from the error pipe (`n` bytes of it).
absl::Status ChildErrorStatus(ChildError& error, ssize_t n) {
  if (n != static_cast<ssize_t>(sizeof(error))) {
    return absl::InternalError("container init died during setup");
  }
  error.message[sizeof(error.message) - 1] = '\0';
  absl::StatusCode code = absl::ErrnoToStatus(error.error, "").code();
  if (error.complete) return absl::Status(code, error.message);
  return absl::Status(code, absl::StrCat(error.message, ": ", std::strerror(error.error)));
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  if (!out) return absl::InternalError(absl::StrCat("writing ", path));
  return absl::OkStatus();
}

}  // namespace

int ExitCodeFromWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

namespace {

// True when `n` bytes read into `record` are the marker record `marker`.
bool IsMarker(const ChildError& record, ssize_t n, const char* marker) {
  return n == static_cast<ssize_t>(sizeof(record)) && record.error == 0 &&
         std::strcmp(record.message, marker) == 0;
}

// Receives the listener fd the child sent over `socket` and hands it to `sink`.
absl::Status PassListenerOn(int socket, pid_t pid, const SeccompListenerSink& sink) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd listener, ReceiveListenerFd(socket));
  BERTH_RETURN_IF_ERROR(sink(pid, listener.get()));
  char byte = 0;
  if (::send(socket, &byte, 1, MSG_NOSIGNAL) != 1) {
    return absl::InternalError("cannot resume the container's process");
  }
  return absl::OkStatus();
}

// Clones the child `context` describes, places it in `cgroup`, writes its id maps and
// oom_score_adj, lets it go, and waits until it has exec'd (or, with an exec fifo, is
// ready: then `exec_errors` gets the error pipe's read end). On the way it runs
// `before_pivot` and passes a seccomp listener to `listener_sink` when the child asks.
absl::StatusOr<pid_t> StartChild(ChildContext context, const NamespacePlan& namespaces,
                                 const ProcessPlan& process, Cgroup& cgroup, UniqueFd* exec_errors,
                                 const std::function<absl::Status(pid_t)>& before_pivot = {},
                                 const SeccompListenerSink& listener_sink = {}) {
  context.pause_before_pivot = static_cast<bool>(before_pivot);
  BERTH_RETURN_IF_ERROR(namespaces.EnterPidNamespace());
  int sync[2], errors[2];
  if (::pipe2(sync, O_CLOEXEC) != 0 || ::pipe2(errors, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  UniqueFd sync_read(sync[0]), sync_write(sync[1]), error_read(errors[0]), error_write(errors[1]);
  context.sync_read = sync_read.get();
  context.error_write = error_write.get();
  context.sync_write = sync_write.get();
  context.error_read = error_read.get();
  UniqueFd seccomp_parent, seccomp_child;
  if (listener_sink && process.seccomp.has_value() && process.seccomp->notify) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
      return absl::InternalError(absl::StrCat("socketpair: ", std::strerror(errno)));
    }
    seccomp_parent.Reset(pair[0]);
    seccomp_child.Reset(pair[1]);
    context.seccomp_socket = seccomp_child.get();
    context.seccomp_socket_peer = seccomp_parent.get();
  }
  constexpr size_t kStackSize = 256 * 1024;
  std::unique_ptr<char[]> stack(new char[kStackSize]);
  pid_t pid =
      ::clone(ChildMain, stack.get() + kStackSize, namespaces.clone_flags | SIGCHLD, &context);
  if (pid < 0) return absl::InternalError(absl::StrCat("clone: ", std::strerror(errno)));
  sync_read.Reset();
  error_write.Reset();
  seccomp_child.Reset();

  auto abandon = [&](absl::Status status) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return status;
  };
  if (auto s = cgroup.AddProcess(pid); !s.ok()) return abandon(s);
  if (namespaces.user_namespace) {
    if (auto s = namespaces.WriteIdMaps(pid); !s.ok()) return abandon(s);
  }
  if (process.has_oom_score_adj) {
    auto s = WriteFile(absl::StrCat("/proc/", pid, "/oom_score_adj"),
                       std::to_string(process.oom_score_adj));
    if (!s.ok()) return abandon(s);
  }
  char go = 1;
  if (::write(sync_write.get(), &go, 1) != 1) {
    return abandon(absl::InternalError("cannot release the container's process"));
  }
  ChildError error;
  ssize_t n = ::read(error_read.get(), &error, sizeof(error));
  if (before_pivot && IsMarker(error, n, kHooksMarker)) {
    if (auto s = before_pivot(pid); !s.ok()) return abandon(s);
    if (::write(sync_write.get(), &go, 1) != 1) {
      return abandon(absl::InternalError("cannot resume the container's process"));
    }
    n = ::read(error_read.get(), &error, sizeof(error));
  }
  if (seccomp_parent && IsMarker(error, n, kSeccompMarker)) {
    if (auto s = PassListenerOn(seccomp_parent.get(), pid, listener_sink); !s.ok()) {
      return abandon(s);
    }
    n = ::read(error_read.get(), &error, sizeof(error));
  }
  // EOF: the error pipe closed on exec. An all-zero record: ready, waiting on the fifo.
  if (n == 0 ||
      (n == static_cast<ssize_t>(sizeof(error)) && error.error == 0 && context.exec_fifo_fd >= 0)) {
    if (n != 0) *exec_errors = std::move(error_read);
    return pid;
  }
  ::waitpid(pid, nullptr, 0);
  return ChildErrorStatus(error, n);
}

// /proc/<pid>/ns/<file> for a spec namespace type.
std::string NamespaceFile(pid_t pid, const std::string& type) {
  std::string file = type == "network" ? "net" : type == "mount" ? "mnt" : type;
  return absl::StrCat("/proc/", pid, "/ns/", file);
}

}  // namespace

absl::StatusOr<LaunchedContainer> LaunchContainer(const Spec& spec, const std::string& bundle,
                                                  const LaunchOptions& options) {
  BERTH_ASSIGN_OR_RETURN(RootfsPlan rootfs, PlanRootfs(spec, bundle));
  BERTH_ASSIGN_OR_RETURN(CgroupLayout layout, DetectCgroupLayout());
  LaunchedContainer launched;
  launched.cgroups_path = spec.linux_config.cgroups_path.empty() ? options.container_id
                                                                 : spec.linux_config.cgroups_path;
  BERTH_ASSIGN_OR_RETURN(launched.cgroup, CreateCgroup(launched.cgroups_path, layout));
  BERTH_RETURN_IF_ERROR(launched.cgroup->Apply(CgroupResourcesFromSpec(spec.linux_config)));
  BERTH_RETURN_IF_ERROR(PlanCgroupView(layout, launched.cgroup->HierarchyDirectories(), rootfs));
  BERTH_ASSIGN_OR_RETURN(ProcessPlan process, PlanProcess(spec));
  BERTH_ASSIGN_OR_RETURN(NamespacePlan namespaces, PlanNamespaces(spec));
  ChildContext context{
      &rootfs, &process, &namespaces,          namespaces.mount_namespace, options.no_pivot,
      -1,      -1,       options.exec_fifo_fd, options.console_socket,     options.preserve_fds};
  context.stdio = options.stdio;
  const std::string keyring = absl::StrCat("_ses.", options.container_id);
  if (options.new_session_keyring) context.session_keyring = keyring.c_str();
  SeccompListenerSink listener_sink =
      ListenerStateSender(spec, {options.container_id, bundle}, ContainerStatus::kCreating, 0);
  BERTH_ASSIGN_OR_RETURN(launched.pid,
                         StartChild(context, namespaces, process, *launched.cgroup,
                                    &launched.exec_errors, options.before_pivot, listener_sink));
  return launched;
}

absl::StatusOr<pid_t> LaunchExec(const Spec& container_spec, pid_t init_pid, const Process& process,
                                 Cgroup& cgroup, int console_socket,
                                 const std::array<int, 3>& stdio,
                                 const ContainerIdentity& container) {
  // The container's own spec with its process swapped and every namespace joined
  // through the init; sysctls were the container's to set, once.
  Spec spec = container_spec;
  spec.process = process;
  spec.linux_config.sysctl.clear();
  spec.linux_config.time_offsets.clear();  // set once, when the namespace was made
  for (Namespace& ns : spec.linux_config.namespaces) ns.path = NamespaceFile(init_pid, ns.type);
  BERTH_ASSIGN_OR_RETURN(ProcessPlan plan, PlanProcess(spec));
  BERTH_ASSIGN_OR_RETURN(NamespacePlan namespaces, PlanNamespaces(spec));
  RootfsPlan no_rootfs;
  ChildContext context{&no_rootfs,         &plan, &namespaces, /*setup_rootfs=*/false,
                       /*no_pivot=*/false, -1,    -1,          /*exec_fifo_fd=*/-1,
                       console_socket};
  context.stdio = stdio;
  // As runc's exec: a session keyring of the container's name, not the caller's.
  const std::string keyring = absl::StrCat("_ses.", container.id);
  if (!container.id.empty()) context.session_keyring = keyring.c_str();
  SeccompListenerSink listener_sink;
  if (!container.id.empty()) {
    listener_sink =
        ListenerStateSender(container_spec, container, ContainerStatus::kRunning, init_pid);
  }
  UniqueFd unused;
  return StartChild(context, namespaces, plan, cgroup, &unused, {}, listener_sink);
}

absl::Status AwaitExecOnFifo(int fifo_fd, const std::function<bool()>& init_alive) {
  ChildError error;
  char* record = reinterpret_cast<char*>(&error);
  size_t got = 0;
  for (;;) {
    pollfd ready{fifo_fd, POLLIN, 0};
    int polled = ::poll(&ready, 1, 100);
    if (polled == 0 && init_alive()) continue;
    ssize_t n = ::read(fifo_fd, record + got, sizeof(error) - got);
    if (n > 0) {
      got += static_cast<size_t>(n);
      if (got == sizeof(error)) return ChildErrorStatus(error, static_cast<ssize_t>(got));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR) && init_alive()) continue;
    // EOF (the exec closed the fifo, or the init is gone): nothing failed to report.
    return got == 0 ? absl::OkStatus() : ChildErrorStatus(error, static_cast<ssize_t>(got));
  }
}

absl::Status AwaitExec(UniqueFd& exec_errors) {
  ChildError error;
  ssize_t n = ::read(exec_errors.get(), &error, sizeof(error));
  exec_errors.Reset();
  return n == 0 ? absl::OkStatus() : ChildErrorStatus(error, n);
}

}  // namespace berth::oci
