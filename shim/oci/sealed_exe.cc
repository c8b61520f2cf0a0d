#include "shim/oci/sealed_exe.h"

#include <linux/magic.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U  // Linux 6.3; older headers lack it
#endif

namespace berth::oci {

absl::StatusOr<bool> IsSealedMemfd(int fd) {
  int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    if (errno == EINVAL) return false;  // not a file that takes seals
    return absl::ErrnoToStatus(errno, "F_GET_SEALS");
  }
  return (seals & kSealedExeSeals) == kSealedExeSeals;
}

absl::StatusOr<bool> IsOnReadOnlyOverlay(int fd) {
  struct statfs fs {};
  if (::fstatfs(fd, &fs) != 0) return absl::ErrnoToStatus(errno, "fstatfs");
  return fs.f_type == OVERLAYFS_SUPER_MAGIC && (fs.f_flags & ST_RDONLY) != 0;
}

absl::StatusOr<UniqueFd> SealedCopy(int fd, const char* name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return absl::ErrnoToStatus(errno, "fstat");
  // With vm.memfd_noexec=1 a memfd is executable only when asked for; kernels before
  // 6.3 do not know the flag.
  UniqueFd copy(::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC));
  if (!copy && errno == EINVAL) copy.Reset(::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!copy) return absl::ErrnoToStatus(errno, "memfd_create");
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = ::sendfile(copy.get(), fd, &offset, static_cast<size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, "copying into the memfd");
    if (n == 0) break;
  }
  if (offset != st.st_size) {
    return absl::DataLossError(absl::StrCat("copied ", offset, " of ", st.st_size, " bytes"));
  }
  if (::fcntl(copy.get(), F_ADD_SEALS, kSealedExeSeals) != 0) {
    return absl::ErrnoToStatus(errno, "sealing the memfd");
  }
  return copy;
}

namespace {

// A layer of overlayfs' lowerdir list, where ':' separates layers and a backslash escapes.
std::string EscapeLayer(const std::string& dir) {
  std::string escaped;
  for (char c : dir) {
    if (c == ':' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

absl::Status FsConfig(int context, unsigned command, const char* key, const char* value) {
  if (::syscall(SYS_fsconfig, context, command, key, value, 0) == 0) return absl::OkStatus();
  return absl::ErrnoToStatus(errno, absl::StrCat("fsconfig ", key == nullptr ? "create" : key));
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return S_ISREG(a.st_mode) && a.st_mode == b.st_mode && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

absl::StatusOr<UniqueFd> ReadOnlyOverlayView(int fd, const std::string& spare_lower_dir) {
  struct stat original {};
  if (::fstat(fd, &original) != 0) return absl::ErrnoToStatus(errno, "fstat");
  char link[PATH_MAX];
  std::string proc = absl::StrCat("/proc/self/fd/", fd);
  ssize_t n = ::readlink(proc.c_str(), link, sizeof(link) - 1);
  if (n <= 0) return absl::ErrnoToStatus(errno, absl::StrCat("readlink ", proc));
  std::string path(link, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  if (path[0] != '/' || slash == std::string::npos || absl::EndsWith(path, " (deleted)")) {
    return absl::FailedPreconditionError(absl::StrCat("no directory holds ", path));
  }
  std::string dir = slash == 0 ? "/" : path.substr(0, slash), name = path.substr(slash + 1);

  UniqueFd context(static_cast<int>(::syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC)));
  if (!context) return absl::ErrnoToStatus(errno, "fsopen overlay");
  // Without an upper layer overlayfs needs two lower ones; the file's directory is on top.
  std::string layers = EscapeLayer(dir) + ":" + EscapeLayer(spare_lower_dir);
  BERTH_RETURN_IF_ERROR(FsConfig(context.get(), FSCONFIG_SET_STRING, "lowerdir", layers.c_str()));
  // Inode-number mapping is of no use here and logs to dmesg where layers differ in fs.
  (void)FsConfig(context.get(), FSCONFIG_SET_STRING, "xino", "off");
  BERTH_RETURN_IF_ERROR(FsConfig(context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr));
  UniqueFd mount(
      static_cast<int>(::syscall(SYS_fsmount, context.get(), FSMOUNT_CLOEXEC,
                                 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)));
  if (!mount) return absl::ErrnoToStatus(errno, "fsmount overlay");
  UniqueFd view(::openat(mount.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!view) return absl::ErrnoToStatus(errno, absl::StrCat("open ", name, " in the overlay"));
  struct stat seen {};
  if (::fstat(view.get(), &seen) != 0) return absl::ErrnoToStatus(errno, "fstat");
  // The name may have been replaced (an upgrade) or gone to the spare layer's file.
  if (!SameFile(original, seen)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is no longer the file run"));
  }
  return view;
}

absl::Status EnsureSealedSelf(char** argv, SealKind kind, const std::string& spare_lower_dir) {
  UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!self) return absl::ErrnoToStatus(errno, "open /proc/self/exe");
  BERTH_ASSIGN_OR_RETURN(bool sealed, IsSealedMemfd(self.get()));
  if (!sealed) {
    BERTH_ASSIGN_OR_RETURN(sealed, IsOnReadOnlyOverlay(self.get()));
  }
  if (sealed) {
    // An exec from an fd names the process after the fd or the memfd: ps and
    // /proc/<pid>/comm should still say what was run.
    if (argv[0] != nullptr) {
      const char* slash = std::strrchr(argv[0], '/');
      ::prctl(PR_SET_NAME, slash == nullptr ? argv[0] : slash + 1, 0, 0, 0);
    }
    return absl::OkStatus();
  }
  if (kind == SealKind::kOverlayElseCopy && !spare_lower_dir.empty()) {
    // Where it fails (no right to mount, an old kernel, overlapping layers) the copy will do.
    // `self` stays open for the copy should the exec fail; the exec closes it (CLOEXEC).
    absl::StatusOr<UniqueFd> view = ReadOnlyOverlayView(self.get(), spare_lower_dir);
    if (view.ok()) ::fexecve(view->get(), argv, environ);
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd copy, SealedCopy(self.get(), "berth-oci"));
  self.Reset();
  ::fexecve(copy.get(), argv, environ);
  return absl::ErrnoToStatus(errno, "fexecve of the sealed copy");
}

}  // namespace berth::oci
