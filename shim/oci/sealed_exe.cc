#include "shim/oci/sealed_exe.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

absl::Status EnsureSealedSelf(char** argv) {
  UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!self) return absl::ErrnoToStatus(errno, "open /proc/self/exe");
  BERTH_ASSIGN_OR_RETURN(bool sealed, IsSealedMemfd(self.get()));
  if (sealed) {
    // An exec from an fd names the process after the fd or the memfd: ps and
    // /proc/<pid>/comm should still say what was run.
    if (argv[0] != nullptr) {
      const char* slash = std::strrchr(argv[0], '/');
      ::prctl(PR_SET_NAME, slash == nullptr ? argv[0] : slash + 1, 0, 0, 0);
    }
    return absl::OkStatus();
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd copy, SealedCopy(self.get(), "berth-oci"));
  self.Reset();
  ::fexecve(copy.get(), argv, environ);
  return absl::ErrnoToStatus(errno, "fexecve of the sealed copy");
}

}  // namespace berth::oci
