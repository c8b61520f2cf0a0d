#include "ctl/signal_proxy.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <iterator>

namespace berth::ctl {
namespace {

// What Docker's CLI forwards, less what only concerns berthctl itself (SIGCHLD, SIGPIPE,
// SIGURG, SIGWINCH) and job control.
constexpr int kProxied[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM};

std::atomic<int> proxy_fd{-1};
struct sigaction previous[std::size(kProxied)];

// Async-signal-safe: one byte per signal to the proxy's thread.
void OnSignal(int signo) {
  const int saved = errno;
  const int fd = proxy_fd.load();
  const unsigned char byte = static_cast<unsigned char>(signo);
  if (fd >= 0) [[maybe_unused]]
    auto n = ::write(fd, &byte, 1);
  errno = saved;
}

}  // namespace

SignalProxy::SignalProxy(std::function<void(int)> forward) : forward_(std::move(forward)) {
  if (::pipe2(pipe_, O_CLOEXEC) != 0) return;
  proxy_fd = pipe_[1];
  thread_ = std::thread([this] {
    unsigned char byte = 0;
    while (true) {
      ssize_t n = ::read(pipe_[0], &byte, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || byte == 0) return;  // 0: the destructor's stop
      forward_(byte);
    }
  });
  for (size_t i = 0; i < std::size(kProxied); ++i) {
    struct sigaction action {};
    action.sa_handler = OnSignal;
    action.sa_flags = SA_RESTART;
    ::sigemptyset(&action.sa_mask);
    ::sigaction(kProxied[i], &action, &previous[i]);
  }
}

SignalProxy::~SignalProxy() {
  if (pipe_[1] < 0) return;
  for (size_t i = 0; i < std::size(kProxied); ++i) ::sigaction(kProxied[i], &previous[i], nullptr);
  proxy_fd = -1;
  const unsigned char stop = 0;
  [[maybe_unused]] auto n = ::write(pipe_[1], &stop, 1);
  thread_.join();
  ::close(pipe_[0]);
  ::close(pipe_[1]);
}

}  // namespace berth::ctl
