// One thread that follows every shim's event stream (Subscribe) with epoll and hands
// each event to the supervisor: one thread for all containers, not one per shim.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "berth/shim/v1/shim.pb.h"
#include "common/unique_fd.h"
#include "shim/client/shim_client.h"

namespace berth::runtime {

class TaskMonitor {
 public:
  struct Handlers {
    std::function<void(const std::string& container_id, const shim::v1::ShimEvent& event)> event;
    // The stream ended: the shim exited (after Shutdown) or died.
    std::function<void(const std::string& container_id)> closed;
  };

  static absl::StatusOr<std::unique_ptr<TaskMonitor>> Start(Handlers handlers);
  ~TaskMonitor();

  // Follows `shim`'s events for `container_id`, replacing any stream followed for it.
  absl::Status Watch(const std::string& container_id, shim::ShimClient& shim);
  // Stops following it (without calling `closed`).
  void Forget(const std::string& container_id);

 private:
  TaskMonitor(Handlers handlers, UniqueFd epoll, UniqueFd wake)
      : handlers_(std::move(handlers)), epoll_(std::move(epoll)), wake_(std::move(wake)) {}
  void Run();
  void OnReadable(int fd);

  struct Followed {
    std::string container_id;
    std::unique_ptr<shim::ShimStream> stream;
  };
  Handlers handlers_;
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd: ends Run
  std::mutex mu_;
  std::map<int, Followed> by_fd_;
  std::map<std::string, int> fd_of_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace berth::runtime
