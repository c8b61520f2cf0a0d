#include "shim/client/shim_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "berth/shim/v1/shim.pb.h"
#include "shim/client/shim_launch.h"
#include "shim/protocol/unix_address.h"

extern char** environ;

namespace berth::shim {
namespace {

constexpr uint32_t kCallId = 1;

absl::StatusOr<UniqueFd> ConnectTo(const std::string& path) {
  absl::StatusOr<UnixAddress> address = UnixSocketAddress(path);
  if (!address.ok()) return address.status();
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return absl::ErrnoToStatus(errno, "socket");
  if (::connect(fd.get(), address->get(), address->size()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach the shim at ", path, ": ", std::strerror(errno)));
  }
  return fd;
}

// Reads until `reader` yields a frame; DeadlineExceeded once `timeout` has passed with
// no whole frame (a zero timeout reads only what has arrived already).
absl::StatusOr<std::string> ReadFrame(int fd, FrameReader& reader, absl::Duration timeout) {
  const absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  for (;;) {
    auto frame = reader.Next();
    if (!frame.ok()) return frame.status();
    if (frame->has_value()) return **frame;
    int wait_ms = -1;
    if (deadline != absl::InfiniteFuture()) {
      const absl::Duration left = std::max(absl::ZeroDuration(), deadline - absl::Now());
      wait_ms =
          static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
    }
    pollfd ready{fd, POLLIN, 0};
    int n = ::poll(&ready, 1, wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return absl::DeadlineExceededError("the shim did not answer in time");
    char buffer[64 * 1024];
    ssize_t got = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) return absl::UnavailableError("the shim closed the connection");
    reader.Append(buffer, static_cast<size_t>(got));
  }
}

absl::Status StatusOf(const v1::Response& response) {
  if (response.code() == 0) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(response.code()), response.message());
}

}  // namespace

std::string ShimSocketPath(const std::string& state_dir) {
  return absl::StrCat(state_dir, "/shim.sock");
}

absl::Status LaunchShim(const std::string& shim_binary, const std::string& id,
                        const std::string& state_dir, const std::string& seccomp_cache) {
  int errors[2];
  if (::pipe2(errors, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
  UniqueFd error_read(errors[0]), error_write(errors[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, error_write.get(), 2);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // The shim starts with no signal blocked or ignored, whichever thread spawns it.
  sigset_t none, all;
  ::sigemptyset(&none);
  ::sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> args = {shim_binary, "--id", id, "--state-dir", state_dir};
  if (!seccomp_cache.empty()) {
    args.push_back("--seccomp-cache");
    args.push_back(seccomp_cache);
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int spawned =
      ::posix_spawn(&pid, shim_binary.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  error_write.Reset();
  if (spawned != 0) {
    return absl::ErrnoToStatus(spawned, absl::StrCat("starting ", shim_binary));
  }
  std::string stderr_text;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(error_read.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (stderr_text.size() < 64 * 1024) stderr_text.append(buffer, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("berth-shim for ", id, " failed to start: ",
                   absl::StripAsciiWhitespace(stderr_text.empty() ? std::string("no reason given")
                                                                  : stderr_text)));
}

absl::Status LaunchShim(const std::string& shim_binary, const std::string& id,
                        const std::string& state_dir) {
  return LaunchShim(shim_binary, id, state_dir, "");
}

absl::StatusOr<UniqueFd> ShimClient::Send(absl::string_view method,
                                          const google::protobuf::MessageLite& request) {
  absl::StatusOr<UniqueFd> fd = ConnectTo(socket_path_);
  if (!fd.ok()) return fd.status();
  v1::Request envelope;
  envelope.set_id(kCallId);
  envelope.set_method(absl::StrCat(kMethodPrefix, method));
  request.SerializeToString(envelope.mutable_payload());
  std::string wire;
  AppendFrame(envelope.SerializeAsString(), wire);
  for (size_t sent = 0; sent < wire.size();) {
    ssize_t n = ::send(fd->get(), wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError("the shim closed the connection");
    sent += static_cast<size_t>(n);
  }
  return fd;
}

absl::Status ShimClient::Call(absl::string_view method,
                              const google::protobuf::MessageLite& request,
                              google::protobuf::MessageLite* response, absl::Duration timeout) {
  absl::StatusOr<UniqueFd> fd = Send(method, request);
  if (!fd.ok()) return fd.status();
  FrameReader reader;
  absl::StatusOr<std::string> frame = ReadFrame(fd->get(), reader, timeout);
  if (!frame.ok()) return frame.status();
  v1::Response envelope;
  if (!envelope.ParseFromString(*frame) || envelope.id() != kCallId) {
    return absl::InternalError("the shim sent a malformed answer");
  }
  if (absl::Status status = StatusOf(envelope); !status.ok()) return status;
  if (response != nullptr && !response->ParseFromString(envelope.payload())) {
    return absl::InternalError(absl::StrCat("the shim's answer to ", method, " does not parse"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ShimStream>> ShimClient::Stream(
    absl::string_view method, const google::protobuf::MessageLite& request) {
  absl::StatusOr<UniqueFd> fd = Send(method, request);
  if (!fd.ok()) return fd.status();
  return std::make_unique<ShimStream>(*std::move(fd));
}

absl::StatusOr<std::optional<std::string>> ShimStream::Next(absl::Duration timeout) {
  absl::StatusOr<std::string> frame = ReadFrame(fd_.get(), reader_, timeout);
  if (!frame.ok()) return frame.status();
  v1::Response envelope;
  if (!envelope.ParseFromString(*frame)) return absl::InternalError("malformed stream message");
  if (envelope.more()) return std::optional<std::string>(envelope.payload());
  if (absl::Status status = StatusOf(envelope); !status.ok()) return status;
  return std::optional<std::string>();
}

void ShimStream::Cancel() { ::shutdown(fd_.get(), SHUT_RDWR); }

}  // namespace berth::shim
