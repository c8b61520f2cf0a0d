#include "ctl/attach_session.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "berth/runtime/v1/tasks.grpc.pb.h"
#include "common/rpc/namespace.h"
#include "ctl/daemon_call.h"
#include "ctl/signal_proxy.h"

namespace berth::ctl {
namespace {

using runtime::v1::AttachRequest;
using runtime::v1::AttachResponse;
using Stream = grpc::ClientReaderWriter<AttachRequest, AttachResponse>;

// The local terminal in raw mode for as long as this lives (restored on every exit path).
class RawTerminal {
 public:
  explicit RawTerminal(bool wanted) {
    if (!wanted || ::isatty(STDIN_FILENO) != 1 || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

// A pipe with both ends closed on destruction.
struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) fds[0] = fds[1] = -1;
  }
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  void Notify() const { [[maybe_unused]] auto n = ::write(fds[1], "x", 1); }
  void Drain() const {
    char buf[64];
    while (::read(fds[0], buf, sizeof buf) > 0) {
    }
  }
};

std::atomic<int> winch_fd{-1};

void OnWinch(int) {
  int fd = winch_fd.load();
  if (fd >= 0) [[maybe_unused]]
    auto n = ::write(fd, "x", 1);
}

// Forwards SIGWINCH to `pipe` while this lives.
class WinchWatch {
 public:
  explicit WinchWatch(const Pipe* pipe) : active_(pipe != nullptr) {
    if (!active_) return;
    winch_fd = pipe->fds[1];
    struct sigaction action {};
    action.sa_handler = OnWinch;
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGWINCH, &action, &previous_);
  }
  ~WinchWatch() {
    if (!active_) return;
    ::sigaction(SIGWINCH, &previous_, nullptr);
    winch_fd = -1;
  }

 private:
  bool active_;
  struct sigaction previous_ {};
};

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// Sends stdin (until EOF, then half-closes) and terminal resizes until `stop` fires.
void PumpInput(Stream* stream, bool with_stdin, const Pipe& stop, const Pipe* winch) {
  bool stdin_open = with_stdin;
  while (true) {
    pollfd fds[3] = {{stop.fds[0], POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}};
    if (stdin_open) fds[1].fd = STDIN_FILENO;
    if (winch != nullptr) fds[2].fd = winch->fds[0];
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) return;
    if (fds[2].revents != 0) {
      winch->Drain();
      AttachRequest resize;
      if (LocalTerminalSize(resize.mutable_resize()) && !stream->Write(resize)) return;
    }
    if (fds[1].revents != 0) {
      char buf[32 * 1024];
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        stdin_open = false;
        stream->WritesDone();  // stdin EOF
        if (winch == nullptr) return;
        continue;
      }
      AttachRequest data;
      data.set_stdin(buf, static_cast<size_t>(n));
      if (!stream->Write(data)) return;
    }
  }
}

}  // namespace

bool LocalTerminalSize(runtime::v1::TerminalSize* size) {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return false;
  size->set_width(ws.ws_col);
  size->set_height(ws.ws_row);
  return true;
}

grpc::Status RunAttached(const std::shared_ptr<grpc::Channel>& channel, const AttachTarget& target,
                         const std::function<grpc::Status()>& start, AttachOutcome* outcome) {
  auto stub = runtime::v1::Tasks::NewStub(channel);
  grpc::ClientContext context;
  rpc::SetNamespace(context, kCtlNamespace);  // no deadline: attached for as long as it runs
  auto stream = stub->Attach(&context);

  AttachRequest first;
  auto* options = first.mutable_options();
  options->set_id(target.id);
  options->set_exec_id(target.exec_id);
  options->set_stdin(target.stdin);
  options->set_stdout(target.stdout);
  options->set_stderr(target.stderr);
  options->set_detach_keys(target.detach_keys);
  options->set_logs(target.logs);
  stream->Write(first);
  if (target.tty) {
    AttachRequest resize;
    if (LocalTerminalSize(resize.mutable_resize())) stream->Write(resize);
  }
  if (!target.stdin && !target.tty) stream->WritesDone();
  std::optional<SignalProxy> signals;
  if (target.sig_proxy && !target.tty) {
    signals.emplace([&stub, &target](int signo) {
      grpc::ClientContext kill_context;
      rpc::SetNamespace(kill_context, kCtlNamespace);
      kill_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      runtime::v1::KillTaskRequest kill;
      kill.set_id(target.id);
      kill.set_exec_id(target.exec_id);
      kill.set_signal(std::to_string(signo));
      google::protobuf::Empty ignored;
      stub->Kill(&kill_context, kill, &ignored);  // a process gone already is no error here
    });
  }

  std::mutex mu;
  std::condition_variable cv;
  bool attached = false;
  std::thread reader([&] {
    stream->WaitForInitialMetadata();
    {
      std::lock_guard<std::mutex> lock(mu);
      attached = true;
    }
    cv.notify_all();
    AttachResponse response;
    while (stream->Read(&response)) {
      if (response.has_output()) {
        const auto& frame = response.output();
        const int fd = frame.stream() == runtime::v1::STDIO_STREAM_STDERR && !target.tty
                           ? STDERR_FILENO
                           : STDOUT_FILENO;
        WriteAll(fd, frame.data());
      } else if (response.has_result()) {
        outcome->has_result = true;
        outcome->detached = response.result().detached();
        outcome->exit_code = response.result().exit_code();
      }
    }
  });
  {
    // Start only once berthd has the attachment, so the first output is not lost.
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(5), [&] { return attached; });
  }
  RawTerminal raw(target.tty && target.stdin);
  if (start) {
    grpc::Status started = start();
    if (!started.ok()) {
      context.TryCancel();
      reader.join();
      stream->Finish();
      return started;
    }
  }

  Pipe stop;
  std::unique_ptr<Pipe> winch = target.tty ? std::make_unique<Pipe>() : nullptr;
  WinchWatch watch(winch.get());
  std::thread writer;
  if (target.stdin || target.tty) {
    writer = std::thread(PumpInput, stream.get(), target.stdin, std::cref(stop), winch.get());
  }
  reader.join();
  stop.Notify();
  if (writer.joinable()) writer.join();
  return stream->Finish();
}

}  // namespace berth::ctl
