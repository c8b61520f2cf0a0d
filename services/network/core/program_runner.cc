#include "services/network/core/program_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/argv.h"
#include "common/unique_fd.h"

namespace berth::network {
namespace {

absl::Status Pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
  return absl::OkStatus();
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

absl::StatusOr<ProgramOutput> RunProgram(const std::vector<std::string>& argv,
                                         const std::vector<std::string>& env,
                                         absl::string_view input, absl::Duration timeout) {
  UniqueFd in_read, in_write, out_read, out_write, err_read, err_write;
  if (absl::Status s = Pipe(in_read, in_write); !s.ok()) return s;
  if (absl::Status s = Pipe(out_read, out_write); !s.ok()) return s;
  if (absl::Status s = Pipe(err_read, err_write); !s.ok()) return s;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, ArgvPointers(argv).data(),
                         ArgvPointers(env).data());
  posix_spawn_file_actions_destroy(&actions);
  in_read.Reset();
  out_write.Reset();
  err_write.Reset();
  if (rc != 0) return absl::InternalError(absl::StrCat("run ", argv[0], ": ", std::strerror(rc)));

  // The child may exit before reading its input: no SIGPIPE, EPIPE instead.
  ::fcntl(in_write.get(), F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (input.empty()) in_write.Reset();
  ProgramOutput output;
  const absl::Time deadline = absl::Now() + timeout;
  while (out_read.valid() || err_read.valid()) {
    pollfd fds[3] = {
        {in_write.get(), POLLOUT, 0}, {out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    int ready = ::poll(fds, 3, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (fds[0].revents != 0) {
      ssize_t n = ::write(in_write.get(), input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN) written = input.size();  // EPIPE: it stopped reading
      if (written == input.size()) in_write.Reset();
    }
    UniqueFd* sources[2] = {&out_read, &err_read};
    std::string* sinks[2] = {&output.out, &output.err};
    for (int i = 0; i < 2; ++i) {
      if (fds[i + 1].revents == 0) continue;
      char buffer[8192];
      ssize_t n = ::read(sources[i]->get(), buffer, sizeof(buffer));
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        sources[i]->Reset();
      }
    }
  }
  int status = 0;
  if (out_read.valid() || err_read.valid()) {  // timed out
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return absl::DeadlineExceededError(
        absl::StrCat(argv[0], " did not finish within ", absl::FormatDuration(timeout)));
  }
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  output.exit_code = ExitCodeOf(status);
  return output;
}

}  // namespace berth::network
