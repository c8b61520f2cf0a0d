#include "shim/berth_shim/event_loop.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace berth::shim {

absl::StatusOr<EventLoop> EventLoop::Create() {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return absl::InternalError(absl::StrCat("epoll_create1: ", std::strerror(errno)));
  return EventLoop(std::move(epoll));
}

absl::Status EventLoop::Add(int fd, uint32_t events, Handler handler) {
  struct epoll_event event {};
  event.events = events;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl add: ", std::strerror(errno)));
  }
  handlers_[fd] = std::make_shared<Handler>(std::move(handler));
  return absl::OkStatus();
}

absl::Status EventLoop::Modify(int fd, uint32_t events) {
  struct epoll_event event {};
  event.events = events;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl mod: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void EventLoop::Remove(int fd) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  handlers_.erase(fd);
}

absl::Status EventLoop::Run() {
  struct epoll_event events[16];
  while (!stopped_) {
    int n = ::epoll_wait(epoll_.get(), events, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("epoll_wait: ", std::strerror(errno)));
    }
    for (int i = 0; i < n && !stopped_; ++i) {
      auto it = handlers_.find(events[i].data.fd);
      if (it == handlers_.end()) continue;  // removed by an earlier handler of this round
      std::shared_ptr<Handler> handler = it->second;
      (*handler)(events[i].events);
    }
  }
  return absl::OkStatus();
}

}  // namespace berth::shim
