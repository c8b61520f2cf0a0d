#include "shim/oci/seccomp_listener.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/unique_fd.h"
#include "nlohmann/json.hpp"
#include "shim/oci/fd_passing.h"
#include "shim/oci/spec.h"

namespace berth::oci {
namespace {

// A one-byte message with room for one fd; `control` must outlive the message.
msghdr FdMessage(char* byte, iovec* iov, char* control, size_t control_size) {
  *iov = iovec{byte, 1};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = control_size;
  return msg;
}

}  // namespace

SeccompListenerSink ListenerStateSender(const Spec& spec, const ContainerIdentity& container,
                                        ContainerStatus status, pid_t init_pid) {
  if (!spec.linux_config.seccomp.has_value() || spec.linux_config.seccomp->listener_path.empty()) {
    return {};
  }
  State state;
  state.oci_version = std::string(kOciVersion);
  state.id = container.id;
  state.status = status;
  state.pid = init_pid;
  state.bundle = container.bundle;
  state.annotations = spec.annotations;
  return [state = std::move(state), path = spec.linux_config.seccomp->listener_path,
          metadata = spec.linux_config.seccomp->listener_metadata](pid_t pid,
                                                                   int listener_fd) mutable {
    if (state.pid == 0) state.pid = pid;
    return SendSeccompListener(path, ContainerProcessStateJson(pid, state, metadata), listener_fd);
  };
}

int SendListenerFdRaw(int socket, int listener_fd) {
  char byte = 0;
  iovec iov;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg = FdMessage(&byte, &iov, control, sizeof(control));
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &listener_fd, sizeof(int));
  return ::sendmsg(socket, &msg, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

absl::StatusOr<UniqueFd> ReceiveListenerFd(int socket) {
  char byte = 0;
  iovec iov;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg = FdMessage(&byte, &iov, control, sizeof(control));
  if (::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC) != 1) {
    return absl::InternalError("receiving the seccomp listener from the container's process");
  }
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == nullptr || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) {
    return absl::InternalError("the container's process sent no seccomp listener");
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return UniqueFd(fd);
}

std::string ContainerProcessStateJson(int process_pid, const State& state,
                                      const std::string& metadata) {
  nlohmann::ordered_json container = {{"ociVersion", state.oci_version},
                                      {"id", state.id},
                                      {"status", std::string(ContainerStatusName(state.status))},
                                      {"pid", state.pid},
                                      {"bundle", state.bundle}};
  if (!state.annotations.empty()) container["annotations"] = state.annotations;
  nlohmann::ordered_json json = {
      {"ociVersion", std::string(kOciVersion)}, {"fds", {"seccompFd"}}, {"pid", process_pid}};
  if (!metadata.empty()) json["metadata"] = metadata;
  json["state"] = std::move(container);
  return json.dump();
}

absl::Status SendSeccompListener(const std::string& listener_path, const std::string& state_json,
                                 int listener_fd) {
  const std::string what = absl::StrCat("linux.seccomp.listenerPath ", listener_path);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (listener_path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": path too long"));
  }
  std::memcpy(addr.sun_path, listener_path.c_str(), listener_path.size() + 1);
  UniqueFd socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket) return absl::ErrnoToStatus(errno, what);
  if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat(what, ": connect"));
  }
  ssize_t sent = SendFd(socket.get(), listener_fd, state_json.data(), state_json.size());
  if (sent < 0) return absl::ErrnoToStatus(static_cast<int>(-sent), absl::StrCat(what, ": send"));
  if (static_cast<size_t>(sent) != state_json.size()) {
    return absl::InternalError(absl::StrCat(what, ": short send"));
  }
  return absl::OkStatus();
}

}  // namespace berth::oci
