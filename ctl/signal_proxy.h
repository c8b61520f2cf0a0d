// Docker's --sig-proxy: while it lives, the signals berthctl receives (SIGINT from ^C,
// SIGTERM, SIGHUP, …) go to the attached process instead of ending berthctl.
#pragma once

#include <functional>
#include <thread>

namespace berth::ctl {

class SignalProxy {
 public:
  // `forward` runs on the proxy's own thread, once per signal received.
  explicit SignalProxy(std::function<void(int signo)> forward);
  ~SignalProxy();
  SignalProxy(const SignalProxy&) = delete;
  SignalProxy& operator=(const SignalProxy&) = delete;

 private:
  std::function<void(int)> forward_;
  int pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace berth::ctl
