// The runtime runs from a sealed view of itself (CVE-2019-5736, runc's "cloned
// binary"): a container process that reaches the runtime's /proc/<pid>/exe — the init
// between clone() and exec() is this image — finds a file that cannot be written,
// never the binary on disk as a writable file.
//
// Two kinds of view, the cheaper first:
//  - the binary through a private, read-only overlayfs with no upper layer (runc 1.2's
//    way): no copy at all; the overlay has nothing to write to, so no remount makes the
//    file writable. Needs the right to mount (CAP_SYS_ADMIN) and Linux 5.2's fsopen().
//  - a copy in a memfd sealed against writes, resizing and new seals: works for anyone,
//    but copies the whole binary on every run.
#pragma once

#include <fcntl.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/unique_fd.h"

namespace berth::oci {

// Every seal a copy carries: no write, no resize, no change to the seals themselves.
inline constexpr int kSealedExeSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

// Whether `fd` is a memfd carrying all of kSealedExeSeals. A file that cannot carry
// seals (anything but a memfd or tmpfs file) is false, not an error.
absl::StatusOr<bool> IsSealedMemfd(int fd);

// Whether `fd` is a file on an overlayfs that is read-only (a mount or superblock that
// refuses writes): what ReadOnlyOverlayView gives, and never a file a container can
// make writable.
absl::StatusOr<bool> IsOnReadOnlyOverlay(int fd);

// Copies the file open for reading at `fd` into a new memfd named `name` (MFD_CLOEXEC)
// and seals it with kSealedExeSeals. Fails where memfd_create or sealing is missing.
absl::StatusOr<UniqueFd> SealedCopy(int fd, const char* name);

// An O_PATH fd of the regular file open at `fd` as seen through a new overlayfs whose
// layers are the file's directory (found through /proc/self/fd) and `spare_lower_dir`
// below it, with no upper layer, mounted read-only, nosuid and nodev, and attached
// nowhere (fsmount): it lives only as long as fds and mappings of it do.
// `spare_lower_dir` is any directory that neither contains nor lies inside the file's
// directory (overlayfs wants two layers to run without an upper one). Fails unless the
// file found there has the size, mode and mtime of the one at `fd`.
absl::StatusOr<UniqueFd> ReadOnlyOverlayView(int fd, const std::string& spare_lower_dir);

// How EnsureSealedSelf may seal.
enum class SealKind {
  kOverlayElseCopy,  // the overlay view of the binary, else a sealed memfd copy
  kCopy,             // always the sealed memfd copy
};

// Unless /proc/self/exe already is sealed (IsSealedMemfd or IsOnReadOnlyOverlay),
// fexecve()s a sealed view of it — the overlay view with `spare_lower_dir` where
// allowed and possible, else a memfd copy named "berth-oci" — with `argv` and the
// current environment: on success it does not return. So it returns OK only when
// already running sealed (and then names the process after argv[0] again), else the
// error that kept it from re-executing. Call it first thing in main(), before any
// thread exists.
absl::Status EnsureSealedSelf(char** argv, SealKind kind, const std::string& spare_lower_dir);

}  // namespace berth::oci
