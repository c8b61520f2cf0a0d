#include "shim/oci/seccomp_listener.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/unique_fd.h"
#include "nlohmann/json.hpp"
#include "shim/oci/fd_passing.h"
#include "shim/oci/spec.h"

namespace berth::oci {
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
  const char byte = 0;
  ssize_t sent = SendFd(socket, listener_fd, &byte, 1);
  if (sent < 0) return static_cast<int>(sent);
  return sent == 1 ? 0 : -EIO;
}

absl::StatusOr<UniqueFd> ReceiveListenerFd(int socket) {
  char byte = 0;
  size_t received = 0;
  int fd = ReceiveFd(socket, &byte, 1, &received);
  if (fd >= 0 && received == 1) return UniqueFd(fd);
  if (fd >= 0) ::close(fd);
  if (fd == -EBADMSG && received == 1) {
    return absl::InternalError("the container's process sent no seccomp listener");
  }
  return absl::InternalError("receiving the seccomp listener from the container's process");
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
