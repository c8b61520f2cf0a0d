#include "shim/oci/syscalls.h"

#include <fcntl.h>
#include <linux/keyctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace berth::oci {
namespace {

int Result(int rc) { return rc == 0 ? 0 : -errno; }

class RealSyscalls final : public Syscalls {
 public:
  int Mount(const char* source, const char* target, const char* fstype, unsigned long flags,
            const char* data) override {
    return Result(::mount(source, target, fstype, flags, data));
  }
  int Umount(const char* target, int flags) override { return Result(::umount2(target, flags)); }
  int MountSetattr(int fd, bool recursive, uint64_t attr_set, uint64_t attr_clr) override {
    mount_attr attr{};
    attr.attr_set = attr_set;
    attr.attr_clr = attr_clr;
    unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    return Result(
        static_cast<int>(::syscall(SYS_mount_setattr, fd, "", flags, &attr, sizeof(attr))));
  }
  int PivotRoot(const char* new_root, const char* put_old) override {
    return Result(static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old)));
  }
  int Fchdir(int fd) override { return Result(::fchdir(fd)); }
  int Chdir(const char* path) override { return Result(::chdir(path)); }
  int Mknodat(int dir_fd, const char* name, mode_t mode, dev_t dev) override {
    return Result(::mknodat(dir_fd, name, mode, dev));
  }
  int Symlinkat(const char* target, int dir_fd, const char* name) override {
    return Result(::symlinkat(target, dir_fd, name));
  }
  int Sethostname(const char* name, size_t length) override {
    return Result(::sethostname(name, length));
  }
  int Setdomainname(const char* name, size_t length) override {
    return Result(::setdomainname(name, length));
  }
  int Personality(unsigned long persona) override {
    return ::personality(persona) < 0 ? -errno : 0;  // it returns the previous persona
  }
  long JoinSessionKeyring(const char* name, uint32_t permissions) override {
    long serial = ::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name);
    if (serial < 0) return -errno;
    if (::syscall(SYS_keyctl, KEYCTL_SETPERM, serial, permissions) < 0) return -errno;
    return serial;
  }
};

}  // namespace

Syscalls& LinuxSyscalls() {
  static RealSyscalls real;
  return real;
}

}  // namespace berth::oci
