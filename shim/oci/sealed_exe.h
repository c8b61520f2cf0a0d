// The runtime runs from a sealed in-memory copy of itself (CVE-2019-5736, runc's
// "cloned binary"): a container process that reaches the runtime's /proc/<pid>/exe —
// the init between clone() and exec() is this image — then finds a memfd that cannot be
// written, truncated or resealed, never the binary on disk.
#pragma once

#include <fcntl.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/unique_fd.h"

namespace berth::oci {

// Every seal a copy carries: no write, no resize, no change to the seals themselves.
inline constexpr int kSealedExeSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

// Whether `fd` is a memfd carrying all of kSealedExeSeals. A file that cannot carry
// seals (anything but a memfd or tmpfs file) is false, not an error.
absl::StatusOr<bool> IsSealedMemfd(int fd);

// Copies the file open for reading at `fd` into a new memfd named `name` (MFD_CLOEXEC)
// and seals it with kSealedExeSeals. Fails where memfd_create or sealing is missing.
absl::StatusOr<UniqueFd> SealedCopy(int fd, const char* name);

// Unless /proc/self/exe already is a sealed memfd, copies it into one named "berth-oci"
// and fexecve()s that with `argv` and the current environment: on success it does not
// return. So it returns OK only when already running sealed (and then names the process
// after argv[0] again), else the error that kept it from re-executing. Call it first
// thing in main(), before any thread exists.
absl::Status EnsureSealedSelf(char** argv);

}  // namespace berth::oci
