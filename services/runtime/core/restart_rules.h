// Docker's restart policies as decisions: whether a container that exited is started
// again, and after how long.
#pragma once

#include "absl/time/time.h"
#include "services/runtime/core/container_record.h"

namespace berth::runtime {

// Why a container is being considered for a restart.
enum class RestartMoment {
  kExited,         // its process just exited
  kDaemonStarted,  // the runtime came up and found it not running
};

// Docker's rules: never after an explicit stop; `always` and `unless-stopped` on any
// exit; `on-failure` on a non-zero exit while the retry count allows; at daemon start,
// `always` also restarts a container that was stopped by the user before the daemon
// went down, `unless-stopped` does not.
bool ShouldRestart(const RestartPolicy& policy, const ContainerState& state, RestartMoment moment);

// Docker's back-off before the restart: 100 ms doubling with each consecutive restart,
// capped at one minute; a container that ran for 10 s or more starts the sequence over.
absl::Duration RestartDelay(int consecutive_restarts, absl::Duration last_run);

}  // namespace berth::runtime
