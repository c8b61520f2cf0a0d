// The system calls that set up a container's root file system and process, behind an
// interface so the setup order can be unit-tested with a recording fake. Implementations must not
// allocate: they run between clone() and exec(). Each returns 0 or -errno.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace berth::oci {

class Syscalls {
 public:
  virtual ~Syscalls() = default;
  virtual int Mount(const char* source, const char* target, const char* fstype, unsigned long flags,
                    const char* data) = 0;
  virtual int Umount(const char* target, int flags) = 0;
  // mount_setattr(2) on the mount at `fd` (AT_EMPTY_PATH), with AT_RECURSIVE when
  // `recursive`: MOUNT_ATTR_* to set and to clear.
  virtual int MountSetattr(int fd, bool recursive, uint64_t attr_set, uint64_t attr_clr) = 0;
  virtual int PivotRoot(const char* new_root, const char* put_old) = 0;
  virtual int Fchdir(int fd) = 0;
  virtual int Chdir(const char* path) = 0;
  virtual int Mknodat(int dir_fd, const char* name, mode_t mode, dev_t dev) = 0;
  virtual int Symlinkat(const char* target, int dir_fd, const char* name) = 0;
  virtual int Sethostname(const char* name, size_t length) = 0;
  virtual int Setdomainname(const char* name, size_t length) = 0;
  virtual int Personality(unsigned long persona) = 0;
  // keyctl(KEYCTL_JOIN_SESSION_KEYRING) of a new keyring `name`, then its permissions set
  // to `permissions`; its serial, or -errno.
  virtual long JoinSessionKeyring(const char* name, uint32_t permissions) = 0;
};

// The real calls.
Syscalls& LinuxSyscalls();

}  // namespace berth::oci
