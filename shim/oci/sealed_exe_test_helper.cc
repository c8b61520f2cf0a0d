// Run by sealed_exe_test: calls EnsureSealedSelf like berth-oci's main, then reports
// what it runs from, its name, its arguments and SEALED_EXE_TEST_VAR, one per line.
// SEALED_EXE_TEST_KIND=copy asks for the memfd copy; SEALED_EXE_TEST_SPARE names the
// overlay view's spare layer.
#include <fcntl.h>
#include <limits.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "shim/oci/sealed_exe.h"

int main(int argc, char** argv) {
  const char* kind = std::getenv("SEALED_EXE_TEST_KIND");
  const char* spare = std::getenv("SEALED_EXE_TEST_SPARE");
  absl::Status status = berth::oci::EnsureSealedSelf(argv,
                                                     kind != nullptr && std::string(kind) == "copy"
                                                         ? berth::oci::SealKind::kCopy
                                                         : berth::oci::SealKind::kOverlayElseCopy,
                                                     spare == nullptr ? "" : spare);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  berth::UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  absl::StatusOr<bool> memfd = berth::oci::IsSealedMemfd(self.get());
  absl::StatusOr<bool> overlay = berth::oci::IsOnReadOnlyOverlay(self.get());
  char exe[PATH_MAX] = {};
  (void)!::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  char comm[16] = {};
  ::prctl(PR_GET_NAME, comm, 0, 0, 0);
  const char* var = std::getenv("SEALED_EXE_TEST_VAR");
  std::printf("memfd=%d\noverlay=%d\nexe=%s\ncomm=%s\n", memfd.ok() && *memfd,
              overlay.ok() && *overlay, exe, comm);
  for (int i = 1; i < argc; ++i) std::printf("arg=%s\n", argv[i]);
  std::printf("var=%s\n", var == nullptr ? "(unset)" : var);
  return 0;
}
