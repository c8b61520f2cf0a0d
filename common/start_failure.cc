#include "common/start_failure.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace berth {

int StartFailureExitCode(absl::string_view message) {
  const std::string lower = absl::AsciiStrToLower(message);
  if (absl::StrContains(lower, "executable file not found") ||
      absl::StrContains(lower, "no such file or directory")) {
    return 127;
  }
  if (absl::StrContains(lower, "permission denied") || absl::StrContains(lower, "is a directory")) {
    return 126;
  }
  return 125;
}

}  // namespace berth
