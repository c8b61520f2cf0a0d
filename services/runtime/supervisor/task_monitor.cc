#include "services/runtime/supervisor/task_monitor.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"

namespace berth::runtime {

absl::StatusOr<std::unique_ptr<TaskMonitor>> TaskMonitor::Start(Handlers handlers) {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!epoll || !wake) return absl::ErrnoToStatus(errno, "setting up the task monitor");
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = wake.get();
  if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &event) != 0) {
    return absl::ErrnoToStatus(errno, "epoll_ctl");
  }
  std::unique_ptr<TaskMonitor> monitor(
      new TaskMonitor(std::move(handlers), std::move(epoll), std::move(wake)));
  monitor->thread_ = std::thread([m = monitor.get()] { m->Run(); });
  return monitor;
}

TaskMonitor::~TaskMonitor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

absl::Status TaskMonitor::Watch(const std::string& container_id, shim::ShimClient& shim) {
  absl::StatusOr<std::unique_ptr<shim::ShimStream>> stream =
      shim.Stream("Subscribe", shim::v1::SubscribeRequest());
  if (!stream.ok()) return stream.status();
  Forget(container_id);
  const int fd = (*stream)->fd();
  std::lock_guard lock(mu_);
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    return absl::ErrnoToStatus(errno, "epoll_ctl");
  }
  by_fd_[fd] = Followed{container_id, *std::move(stream)};
  fd_of_[container_id] = fd;
  return absl::OkStatus();
}

void TaskMonitor::Forget(const std::string& container_id) {
  std::lock_guard lock(mu_);
  auto it = fd_of_.find(container_id);
  if (it == fd_of_.end()) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second, nullptr);
  by_fd_.erase(it->second);
  fd_of_.erase(it);
}

void TaskMonitor::Run() {
  epoll_event events[32];
  for (;;) {
    int n = ::epoll_wait(epoll_.get(), events, 32, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == wake_.get()) {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        continue;
      }
      OnReadable(events[i].data.fd);
    }
  }
}

void TaskMonitor::OnReadable(int fd) {
  std::string container_id;
  std::vector<std::string> payloads;
  bool closed = false;
  {
    std::lock_guard lock(mu_);
    auto it = by_fd_.find(fd);
    if (it == by_fd_.end()) return;
    container_id = it->second.container_id;
    for (;;) {
      absl::StatusOr<std::optional<std::string>> next =
          it->second.stream->Next(absl::ZeroDuration());
      if (absl::IsDeadlineExceeded(next.status())) break;
      if (!next.ok() || !next->has_value()) {
        closed = true;
        break;
      }
      payloads.push_back(std::move(**next));
    }
    if (closed) {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
      by_fd_.erase(it);
      fd_of_.erase(container_id);
    }
  }
  // Handlers run unlocked: they may Watch or Forget.
  for (const std::string& payload : payloads) {
    shim::v1::ShimEvent event;
    if (event.ParseFromString(payload) && handlers_.event) handlers_.event(container_id, event);
  }
  if (closed && handlers_.closed) handlers_.closed(container_id);
}

}  // namespace berth::runtime
