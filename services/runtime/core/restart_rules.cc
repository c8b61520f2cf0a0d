#include "services/runtime/core/restart_rules.h"

#include <algorithm>

namespace berth::runtime {

bool ShouldRestart(const RestartPolicy& policy, const ContainerState& state, RestartMoment moment) {
  switch (policy.name) {
    case RestartPolicyName::kNo:
      return false;
    case RestartPolicyName::kAlways:
      return moment == RestartMoment::kDaemonStarted || !state.stopped_by_user;
    case RestartPolicyName::kUnlessStopped:
      return !state.stopped_by_user;
    case RestartPolicyName::kOnFailure:
      if (state.stopped_by_user || state.exit_code == 0) return false;
      if (moment == RestartMoment::kDaemonStarted) return false;
      return policy.max_retries == 0 || state.restart_count < policy.max_retries;
  }
  return false;
}

absl::Duration RestartDelay(int consecutive_restarts, absl::Duration last_run) {
  if (last_run >= absl::Seconds(10)) return absl::Milliseconds(100);
  absl::Duration delay = absl::Milliseconds(100);
  for (int i = 0; i < consecutive_restarts && delay < absl::Minutes(1); ++i) delay *= 2;
  return std::min(delay, absl::Minutes(1));
}

}  // namespace berth::runtime
