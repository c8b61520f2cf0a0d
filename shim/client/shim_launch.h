// Starting a shim that shares compiled seccomp programs with the runtime's other shims.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace berth::shim {

// LaunchShim (shim_client.h) with `--seccomp-cache <seccomp_cache>`: the directory where
// the shims keep the seccomp programs they compiled (see berth-shim's main).
absl::Status LaunchShim(const std::string& shim_binary, const std::string& id,
                        const std::string& state_dir, const std::string& seccomp_cache);

}  // namespace berth::shim
