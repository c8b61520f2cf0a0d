// Docker's exit codes for a container process that could not be started: 127 when the
// command is not there, 126 when it cannot be executed, 125 for anything else (the
// daemon's failure). Shared by the runtime (State.ExitCode) and berthctl (its own exit).
#pragma once

#include "absl/strings/string_view.h"

namespace berth {

int StartFailureExitCode(absl::string_view message);

}  // namespace berth
