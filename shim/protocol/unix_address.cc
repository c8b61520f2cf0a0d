#include "shim/protocol/unix_address.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace berth::shim {

absl::StatusOr<UnixAddress> UnixSocketAddress(const std::string& path) {
  UnixAddress out;
  out.address.sun_family = AF_UNIX;
  std::string name = path;
  if (path.size() >= sizeof(out.address.sun_path)) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) {
      return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", path));
    }
    const std::string dir = path.substr(0, slash);
    out.dir = UniqueFd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!out.dir) return absl::ErrnoToStatus(errno, absl::StrCat("open ", dir));
    name = absl::StrCat("/proc/self/fd/", out.dir.get(), path.substr(slash));
    if (name.size() >= sizeof(out.address.sun_path)) {
      return absl::InvalidArgumentError(absl::StrCat("socket file name too long: ", path));
    }
  }
  std::memcpy(out.address.sun_path, name.c_str(), name.size() + 1);
  return out;
}

}  // namespace berth::shim
