// A unix socket address for a path of any length. sun_path holds 107 bytes; a longer
// path (a deep state dir) is named through its directory, opened O_PATH, as
// /proc/self/fd/<n>/<file>: the kernel resolves it, the address stays short.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <string>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"

namespace berth::shim {

struct UnixAddress {
  sockaddr_un address{};
  UniqueFd dir;  // keeps the /proc/self/fd name valid while the address is used
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&address); }
  socklen_t size() const { return sizeof(address); }
};

absl::StatusOr<UnixAddress> UnixSocketAddress(const std::string& path);

}  // namespace berth::shim
