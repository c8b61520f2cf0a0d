// The shim's one thread: an epoll loop calling a handler per ready fd.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/unique_fd.h"

namespace berth::shim {

class EventLoop {
 public:
  using Handler = std::function<void(uint32_t events)>;

  static absl::StatusOr<EventLoop> Create();

  // Watches `fd` (not owned) for `events` (EPOLLIN, EPOLLOUT…).
  absl::Status Add(int fd, uint32_t events, Handler handler);
  absl::Status Modify(int fd, uint32_t events);
  // Safe from within a handler, also for the fd being handled.
  void Remove(int fd);

  // Dispatches events until Stop() is called.
  absl::Status Run();
  void Stop() { stopped_ = true; }

 private:
  explicit EventLoop(UniqueFd epoll) : epoll_(std::move(epoll)) {}

  UniqueFd epoll_;
  // shared_ptr: a handler that removes its own fd stays alive until it returns.
  std::map<int, std::shared_ptr<Handler>> handlers_;
  bool stopped_ = false;
};

}  // namespace berth::shim
