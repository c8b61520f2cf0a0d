#include "shim/berth_shim/task_process.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "shim/oci/container_process.h"
#include "shim/protocol/frame.h"
#include "shim/protocol/proto_time.h"

namespace berth::shim {
namespace {

absl::Status Errno(absl::string_view what) { return absl::ErrnoToStatus(errno, what); }

}  // namespace

absl::Status MakePipes(bool with_stdin, ProcessStdio& mine, ChildStdio& child) {
  int fds[2];
  if (with_stdin) {
    if (::pipe2(fds, O_CLOEXEC) != 0) return Errno("pipe2");
    child.in = UniqueFd(fds[0]);
    mine.stdin_write = UniqueFd(fds[1]);
    ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  } else {
    child.in = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!child.in) return Errno("open /dev/null");
  }
  if (::pipe2(fds, O_CLOEXEC) != 0) return Errno("pipe2");
  mine.stdout_read = UniqueFd(fds[0]);
  child.out = UniqueFd(fds[1]);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  if (::pipe2(fds, O_CLOEXEC) != 0) return Errno("pipe2");
  mine.stderr_read = UniqueFd(fds[0]);
  child.err = UniqueFd(fds[1]);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  return absl::OkStatus();
}

TaskProcess::~TaskProcess() {
  for (UniqueFd* fd :
       {&stdio_.stdin_write, &stdio_.stdout_read, &stdio_.stderr_read, &stdio_.pty_master}) {
    if (*fd) loop_.Remove(fd->get());
  }
}

absl::Status TaskProcess::AdoptStdio(ProcessStdio stdio) {
  stdio_ = std::move(stdio);
  if (stdio_.pty_master) {
    ::fcntl(stdio_.pty_master.get(), F_SETFL, O_NONBLOCK);
    if (with_stdin_) {
      // A second fd on the master for stdin, so reads and writes have a handler each.
      stdio_.stdin_write = UniqueFd(::fcntl(stdio_.pty_master.get(), F_DUPFD_CLOEXEC, 3));
      if (!stdio_.stdin_write) return Errno("dup of the pty master");
    }
    const int fd = stdio_.pty_master.get();
    return loop_.Add(fd, EPOLLIN, [this, fd](uint32_t) { OnOutput(fd, v1::IO_STREAM_STDOUT); });
  }
  for (auto [fd, stream] : {std::pair{stdio_.stdout_read.get(), v1::IO_STREAM_STDOUT},
                            std::pair{stdio_.stderr_read.get(), v1::IO_STREAM_STDERR}}) {
    absl::Status added =
        loop_.Add(fd, EPOLLIN, [this, fd, stream](uint32_t) { OnOutput(fd, stream); });
    if (!added.ok()) return added;
  }
  return absl::OkStatus();
}

void TaskProcess::Started(pid_t pid) {
  pid_ = pid;
  status_ = v1::TASK_STATUS_RUNNING;
}

void TaskProcess::OnOutput(int fd, v1::IOStream stream) {
  UniqueFd* owner = fd == stdio_.stderr_read.get()   ? &stdio_.stderr_read
                    : fd == stdio_.stdout_read.get() ? &stdio_.stdout_read
                                                     : &stdio_.pty_master;
  if (owner->get() != fd) return;
  Drain(*owner, stream);
}

bool TaskProcess::Drain(UniqueFd& fd, v1::IOStream stream) {
  if (!fd) return false;
  char buffer[32 * 1024];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n > 0) {
      Deliver(stream, absl::string_view(buffer, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    // EOF, or EIO from a pty whose last slave closed: this output has ended.
    loop_.Remove(fd.get());
    fd.Reset();
    return false;
  }
}

void TaskProcess::Deliver(v1::IOStream stream, absl::string_view bytes) {
  if (sink_) sink_(stream, bytes);
  if (attached_.empty()) return;
  v1::IOChunk chunk;
  chunk.set_stream(stream);
  chunk.set_data(std::string(bytes));
  for (auto it = attached_.begin(); it != attached_.end();) {
    const bool wanted = stream == v1::IO_STREAM_STDERR ? it->stderr_wanted : it->stdout_wanted;
    if (wanted && !it->reply.Stream(chunk)) {
      it = attached_.erase(it);
    } else {
      ++it;
    }
  }
}

void TaskProcess::Exited(int wait_status, bool oom_killed) {
  Drain(stdio_.stdout_read, v1::IO_STREAM_STDOUT);
  Drain(stdio_.stderr_read, v1::IO_STREAM_STDERR);
  Drain(stdio_.pty_master, v1::IO_STREAM_STDOUT);
  SetExit(static_cast<uint32_t>(oci::ExitCodeFromWaitStatus(wait_status)), absl::Now(), oom_killed);
}

void TaskProcess::SetExit(uint32_t exit_status, absl::Time exited_at, bool oom_killed) {
  status_ = v1::TASK_STATUS_STOPPED;
  exit_status_ = exit_status;
  exited_at_ = exited_at;
  oom_killed_ = oom_killed;
  // Nothing reads stdin any more; output that is left was drained above.
  CloseStdinNow();
  for (UniqueFd* fd : {&stdio_.stdout_read, &stdio_.stderr_read, &stdio_.pty_master}) {
    if (*fd) {
      loop_.Remove(fd->get());
      fd->Reset();
    }
  }
  v1::WaitResponse done;
  done.set_exit_status(exit_status_);
  ToProtoTime(exited_at_, done.mutable_exited_at());
  for (Reply& waiter : waiters_) waiter.Ok(done);
  waiters_.clear();
  for (Attached& attached : attached_) attached.reply.Ok(google::protobuf::Empty());
  attached_.clear();
}

void TaskProcess::FillState(v1::StateResponse& state) const {
  state.set_exec_id(exec_id_);
  state.set_pid(static_cast<uint32_t>(pid_));
  state.set_status(status_);
  state.set_stdin(with_stdin_);
  state.set_terminal(terminal_);
  state.set_exit_status(exit_status_);
  if (status_ == v1::TASK_STATUS_STOPPED && pid_ != 0) {
    ToProtoTime(exited_at_, state.mutable_exited_at());
  }
  state.set_oom_killed(oom_killed_);
}

void TaskProcess::AddWaiter(Reply reply) {
  if (exited()) {
    v1::WaitResponse done;
    done.set_exit_status(exit_status_);
    ToProtoTime(exited_at_, done.mutable_exited_at());
    reply.Ok(done);
    return;
  }
  waiters_.push_back(std::move(reply));
}

void TaskProcess::Attach(Reply reply, bool stdout_wanted, bool stderr_wanted) {
  if (exited()) {
    reply.Ok(google::protobuf::Empty());
    return;
  }
  // An empty first chunk tells the client its attach is in place before it goes on.
  if (!reply.Stream(v1::IOChunk())) return;
  attached_.push_back(Attached{std::move(reply), stdout_wanted, stderr_wanted});
}

void TaskProcess::WriteStdin(std::string data, Reply reply) {
  if (!stdio_.stdin_write || close_stdin_when_flushed_) {
    reply.Error(absl::FailedPreconditionError("the process has no open stdin"));
    return;
  }
  stdin_queue_ += data;
  stdin_writers_.push_back(std::move(reply));
  FlushStdin();
}

void TaskProcess::FlushStdin() {
  while (!stdin_queue_.empty() && stdio_.stdin_write) {
    ssize_t n = ::write(stdio_.stdin_write.get(), stdin_queue_.data(), stdin_queue_.size());
    if (n > 0) {
      stdin_queue_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      WatchStdin(true);
      return;
    }
    // EPIPE: the process closed its stdin; what is queued can never be written.
    stdin_queue_.clear();
    CloseStdinNow();
    return;
  }
  WatchStdin(false);
  for (Reply& writer : stdin_writers_) writer.Ok(google::protobuf::Empty());
  stdin_writers_.clear();
  if (close_stdin_when_flushed_) CloseStdinNow();
}

void TaskProcess::WatchStdin(bool want_write) {
  if (!stdio_.stdin_write || want_write == stdin_watched_) return;
  const int fd = stdio_.stdin_write.get();
  if (want_write) {
    loop_.Add(fd, EPOLLOUT, [this](uint32_t) { FlushStdin(); }).IgnoreError();
  } else {
    loop_.Remove(fd);
  }
  stdin_watched_ = want_write;
}

absl::Status TaskProcess::CloseStdin() {
  close_stdin_when_flushed_ = true;
  if (stdin_queue_.empty()) CloseStdinNow();
  return absl::OkStatus();
}

void TaskProcess::CloseStdinNow() {
  if (stdio_.stdin_write) {
    WatchStdin(false);
    if (terminal_) {
      // A pty has no half-close: send the EOF character instead, as a typing user would.
      const char eot = 4;
      (void)!::write(stdio_.stdin_write.get(), &eot, 1);
    }
    stdio_.stdin_write.Reset();
  }
  for (Reply& writer : stdin_writers_) {
    writer.Error(absl::FailedPreconditionError("stdin closed before the data was written"));
  }
  stdin_writers_.clear();
  stdin_queue_.clear();
}

absl::Status TaskProcess::Resize(uint32_t width, uint32_t height) {
  if (!stdio_.pty_master) {
    return absl::FailedPreconditionError("the process has no terminal");
  }
  struct winsize size {};
  size.ws_col = static_cast<unsigned short>(width);
  size.ws_row = static_cast<unsigned short>(height);
  if (::ioctl(stdio_.pty_master.get(), TIOCSWINSZ, &size) != 0) return Errno("TIOCSWINSZ");
  return absl::OkStatus();
}

}  // namespace berth::shim
