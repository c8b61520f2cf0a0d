// runtime-spec hooks: each hook's program run with the container's state JSON on stdin,
// in order, the first failure (non-zero exit, or its timeout) ending the run.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "shim/oci/spec.h"

namespace berth::oci {

// Runs `hooks` in the runtime's namespaces. `phase` ("createRuntime", …) names them in
// errors. With `join_pid` > 0 each hook first enters that process' namespaces (the
// container's: createContainer, startContainer).
absl::Status RunHooks(const std::vector<Hook>& hooks, absl::string_view phase,
                      const std::string& state_json, pid_t join_pid = 0);

}  // namespace berth::oci
