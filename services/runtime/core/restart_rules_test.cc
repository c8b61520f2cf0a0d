#include "services/runtime/core/restart_rules.h"

#include <gtest/gtest.h>

namespace berth::runtime {
namespace {

ContainerState Exited(int code, bool by_user = false, int restarts = 0) {
  ContainerState state;
  state.status = ContainerStatus::kExited;
  state.exit_code = code;
  state.stopped_by_user = by_user;
  state.restart_count = restarts;
  return state;
}

TEST(RestartRulesTest, PoliciesDecideAsDocker) {
  const RestartPolicy no{RestartPolicyName::kNo, 0};
  const RestartPolicy always{RestartPolicyName::kAlways, 0};
  const RestartPolicy unless{RestartPolicyName::kUnlessStopped, 0};
  const RestartPolicy on_failure{RestartPolicyName::kOnFailure, 0};
  const RestartPolicy on_failure_2{RestartPolicyName::kOnFailure, 2};
  constexpr auto kExit = RestartMoment::kExited;
  constexpr auto kBoot = RestartMoment::kDaemonStarted;

  EXPECT_FALSE(ShouldRestart(no, Exited(1), kExit));
  EXPECT_TRUE(ShouldRestart(always, Exited(0), kExit));
  EXPECT_FALSE(ShouldRestart(always, Exited(0, /*by_user=*/true), kExit));
  EXPECT_TRUE(ShouldRestart(always, Exited(0, /*by_user=*/true), kBoot));
  EXPECT_TRUE(ShouldRestart(unless, Exited(3), kExit));
  EXPECT_FALSE(ShouldRestart(unless, Exited(0, /*by_user=*/true), kBoot));
  EXPECT_FALSE(ShouldRestart(on_failure, Exited(0), kExit));
  EXPECT_TRUE(ShouldRestart(on_failure, Exited(1, false, 100), kExit));
  EXPECT_TRUE(ShouldRestart(on_failure_2, Exited(1, false, 1), kExit));
  EXPECT_FALSE(ShouldRestart(on_failure_2, Exited(1, false, 2), kExit));
  EXPECT_FALSE(ShouldRestart(on_failure, Exited(137, /*by_user=*/true), kExit));
}

TEST(RestartRulesTest, BackOffDoublesToAMinuteAndResetsAfterALongRun) {
  EXPECT_EQ(RestartDelay(0, absl::Seconds(1)), absl::Milliseconds(100));
  EXPECT_EQ(RestartDelay(1, absl::Seconds(1)), absl::Milliseconds(200));
  EXPECT_EQ(RestartDelay(3, absl::Seconds(1)), absl::Milliseconds(800));
  EXPECT_EQ(RestartDelay(20, absl::Seconds(1)), absl::Minutes(1));
  EXPECT_EQ(RestartDelay(20, absl::Seconds(10)), absl::Milliseconds(100));
}

}  // namespace
}  // namespace berth::runtime
