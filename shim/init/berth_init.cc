// berth-init: the init `run --init` puts at PID 1 (bound at /sbin/docker-init, as
// Docker's tini). Runs `berth-init [--] command [args…]`: forks and execs the command,
// forwards every signal it can catch to it, reaps every process that ends up its child,
// and exits when the command does, with its exit code (128+n when signal n killed it).
//
// As tini without -g: the command gets its own process group (the terminal's foreground
// one, with a tty) and signals go to the command alone, so what the container's stop
// signal does is what the command does with it. Static and allocation-free: it must run
// in any image, and PID 1 has nothing to fall back on.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

void Say(const char* a, const char* b = "", const char* c = "", const char* d = "") {
  const char* parts[] = {"berth-init: ", a, b, c, d, "\n"};
  for (const char* part : parts) {
    if (::write(STDERR_FILENO, part, ::strlen(part)) < 0) return;
  }
}

// Signals that report a fault of this process itself, not a request to pass on.
bool IsSynchronous(int sig) {
  return sig == SIGFPE || sig == SIGILL || sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT ||
         sig == SIGTRAP || sig == SIGSYS;
}

[[noreturn]] void ExecCommand(char** argv, const sigset_t& original_mask) {
  // tini's isolate_child: a process group of its own, in the terminal's foreground.
  // SIGTTOU is blocked still, so tcsetpgrp from a background group does not stop us.
  ::setpgid(0, 0);
  if (::tcsetpgrp(STDIN_FILENO, ::getpgrp()) < 0 && errno != ENOTTY && errno != ENXIO &&
      errno != EBADF) {
    Say("tcsetpgrp failed: ", ::strerror(errno));
    ::_exit(1);
  }
  ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);
  ::execvp(argv[0], argv);
  const int error = errno;
  Say("exec ", argv[0], " failed: ", ::strerror(error));
  ::_exit(error == ENOENT ? 127 : error == EACCES ? 126 : 1);
}

}  // namespace

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && ::strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc) {
    Say("usage: berth-init [--] command [args...]");
    return 1;
  }
  // Outside a PID namespace (tests, nested use) orphans must come here, not to the
  // host's init.
  if (::getpid() != 1) ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  sigset_t all, original_mask;
  ::sigfillset(&all);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (IsSynchronous(sig)) ::sigdelset(&all, sig);
  }
  ::sigprocmask(SIG_SETMASK, &all, &original_mask);

  const pid_t child = ::fork();
  if (child < 0) {
    Say("fork failed: ", ::strerror(errno));
    return 1;
  }
  if (child == 0) ExecCommand(argv + first, original_mask);

  for (;;) {
    siginfo_t info;
    const int sig = ::sigwaitinfo(&all, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      // The command may have exited already: ESRCH is fine, its SIGCHLD is pending.
      ::kill(child, sig);
      continue;
    }
    for (;;) {
      int status = 0;
      const pid_t reaped = ::waitpid(-1, &status, WNOHANG);
      if (reaped <= 0) break;  // none left exited (0) or no children at all (ECHILD)
      if (reaped != child) continue;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    }
  }
}
