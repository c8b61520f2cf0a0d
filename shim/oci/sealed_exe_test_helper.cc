// Run by sealed_exe_test: calls EnsureSealedSelf like berth-oci's main, then reports
// what it runs from, its name, its arguments and SEALED_EXE_TEST_VAR, one per line.
#include <fcntl.h>
#include <limits.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "shim/oci/sealed_exe.h"

int main(int argc, char** argv) {
  absl::Status status = berth::oci::EnsureSealedSelf(argv);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  berth::UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  absl::StatusOr<bool> sealed = berth::oci::IsSealedMemfd(self.get());
  char exe[PATH_MAX] = {};
  (void)!::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  char comm[16] = {};
  ::prctl(PR_GET_NAME, comm, 0, 0, 0);
  const char* var = std::getenv("SEALED_EXE_TEST_VAR");
  std::printf("sealed=%d\nexe=%s\ncomm=%s\n", sealed.ok() && *sealed, exe, comm);
  for (int i = 1; i < argc; ++i) std::printf("arg=%s\n", argv[i]);
  std::printf("var=%s\n", var == nullptr ? "(unset)" : var);
  return 0;
}
