#include "services/network/core/network_namespace.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/unique_fd.h"

namespace berth::network {
namespace {

absl::Status Errno(absl::string_view what, int error) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(error)));
}

bool IsMountPoint(const std::string& dir) {
  std::ifstream mounts("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mounts, line)) {
    // Field 5 is the mount point (spaces in it are octal-escaped).
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point;
    fields >> id >> parent >> device >> root >> mount_point;
    if (mount_point == dir) return true;
  }
  return false;
}

absl::Status EnsureSharedDir(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", error.message()));
  if (IsMountPoint(dir)) return absl::OkStatus();
  if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return Errno(absl::StrCat("bind-mount ", dir), errno);
  }
  // Private first: a shared peer group of its own, not the parent's.
  if (::mount("none", dir.c_str(), nullptr, MS_PRIVATE, nullptr) != 0 ||
      ::mount("none", dir.c_str(), nullptr, MS_SHARED, nullptr) != 0) {
    return Errno(absl::StrCat("make ", dir, " a shared mount"), errno);
  }
  return absl::OkStatus();
}

// Runs on its own thread: that thread's netns becomes the new one and dies with it.
int MakeNamespace(const std::string& target) {
  if (::unshare(CLONE_NEWNET) != 0) return errno;
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return errno;
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &request) != 0) return errno;
  request.ifr_flags |= IFF_UP;
  if (::ioctl(sock.get(), SIOCSIFFLAGS, &request) != 0) return errno;
  std::string self = absl::StrCat("/proc/self/task/", ::syscall(SYS_gettid), "/ns/net");
  if (::mount(self.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) return errno;
  return 0;
}

}  // namespace

absl::StatusOr<NetworkNamespace> NetworkNamespace::Create(const std::string& dir,
                                                          const std::string& name) {
  if (absl::Status s = EnsureSharedDir(dir); !s.ok()) return s;
  std::string path = dir + "/" + name;
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!file) return Errno(absl::StrCat("create ", path), errno);
  file.Reset();
  int error = 0;
  std::thread([&] { error = MakeNamespace(path); }).join();
  if (error != 0) {
    ::umount2(path.c_str(), MNT_DETACH);
    ::unlink(path.c_str());
    return Errno(absl::StrCat("create network namespace ", path), error);
  }
  return NetworkNamespace(std::move(path));
}

NetworkNamespace::NetworkNamespace(NetworkNamespace&& other) noexcept
    : path_(std::exchange(other.path_, "")) {}

NetworkNamespace& NetworkNamespace::operator=(NetworkNamespace&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) RemoveNetworkNamespace(path_).IgnoreError();
    path_ = std::exchange(other.path_, "");
  }
  return *this;
}

NetworkNamespace::~NetworkNamespace() {
  if (!path_.empty()) RemoveNetworkNamespace(path_).IgnoreError();
}

std::string NetworkNamespace::Release() { return std::exchange(path_, ""); }

bool IsNetworkNamespaceMount(const std::string& path) {
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == NSFS_MAGIC;
}

absl::Status RemoveNetworkNamespace(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return Errno(absl::StrCat("unmount ", path), errno);
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Errno(absl::StrCat("remove ", path), errno);
  }
  return absl::OkStatus();
}

}  // namespace berth::network
