#include "ctl/units.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::ctl {
namespace {

using ::testing::ElementsAre;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ParseSizeTest, AcceptsDockerSizes) {
  EXPECT_EQ(*ParseSize("512"), 512);
  EXPECT_EQ(*ParseSize("512k"), 512 * 1024);
  EXPECT_EQ(*ParseSize("64m"), 64 << 20);
  EXPECT_EQ(*ParseSize("64MB"), 64 << 20);
  EXPECT_EQ(*ParseSize("1g"), int64_t{1} << 30);
  EXPECT_EQ(*ParseSize("1.5g"), int64_t{3} << 29);
  EXPECT_EQ(*ParseSize("2 GiB"), int64_t{2} << 30);
  EXPECT_EQ(*ParseSize("10b"), 10);
}

TEST(ParseSizeTest, RejectsGarbageWithDockersMessage) {
  EXPECT_EQ(ParseSize("abc").status().message(), "invalid size: 'abc'");
  EXPECT_FALSE(ParseSize("").ok());
  EXPECT_FALSE(ParseSize("12x").ok());
  EXPECT_FALSE(ParseSize("-1m").ok());
  EXPECT_FALSE(ParseSize("1mm").ok());
}

TEST(ParseGoDurationTest, AcceptsGoDurations) {
  EXPECT_EQ(*ParseGoDuration("10s"), absl::Seconds(10));
  EXPECT_EQ(*ParseGoDuration("1m30s"), absl::Seconds(90));
  EXPECT_EQ(*ParseGoDuration("1.5h"), absl::Minutes(90));
  EXPECT_EQ(*ParseGoDuration("300ms"), absl::Milliseconds(300));
  EXPECT_EQ(*ParseGoDuration("2us"), absl::Microseconds(2));
  EXPECT_EQ(*ParseGoDuration("-5m"), absl::Minutes(-5));
  EXPECT_EQ(*ParseGoDuration("0"), absl::ZeroDuration());
}

TEST(ParseGoDurationTest, RejectsWhatGoRejects) {
  EXPECT_EQ(ParseGoDuration("10").status().message(), "time: missing unit in duration \"10\"");
  EXPECT_EQ(ParseGoDuration("10x").status().message(),
            "time: unknown unit \"x\" in duration \"10x\"");
  EXPECT_FALSE(ParseGoDuration("").ok());
  EXPECT_FALSE(ParseGoDuration("s").ok());
}

TEST(ParseRestartPolicyTest, AcceptsDockerPolicies) {
  EXPECT_EQ(ParseRestartPolicy("no")->policy, runtime::v1::RESTART_POLICY_NO);
  EXPECT_EQ(ParseRestartPolicy("always")->policy, runtime::v1::RESTART_POLICY_ALWAYS);
  EXPECT_EQ(ParseRestartPolicy("unless-stopped")->policy,
            runtime::v1::RESTART_POLICY_UNLESS_STOPPED);
  auto on_failure = ParseRestartPolicy("on-failure:3");
  ASSERT_TRUE(on_failure.ok());
  EXPECT_EQ(on_failure->policy, runtime::v1::RESTART_POLICY_ON_FAILURE);
  EXPECT_EQ(on_failure->max_retries, 3);
  EXPECT_EQ(ParseRestartPolicy("on-failure")->max_retries, 0);
}

TEST(ParseRestartPolicyTest, RejectsWithDockersMessages) {
  EXPECT_EQ(ParseRestartPolicy("sometimes").status().message(),
            "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', "
            "'on-failure', or 'unless-stopped'");
  EXPECT_EQ(ParseRestartPolicy("always:3").status().message(),
            "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  EXPECT_EQ(ParseRestartPolicy("on-failure:x").status().message(),
            "invalid restart policy format: maximum retry count must be an integer");
  EXPECT_EQ(ParseRestartPolicy(":3").status().message(),
            "invalid restart policy format: no policy provided before colon");
  EXPECT_EQ(ParseRestartPolicy("on-failure:-1").status().message(),
            "invalid restart policy: maximum retry count cannot be negative");
}

TEST(ResolveEnvTest, TakesClientValueForBareNames) {
  EnvLookup env = FakeEnv({{"HOME", "/root"}});
  EXPECT_EQ(ResolveEnv("A=b", env), "A=b");
  EXPECT_EQ(ResolveEnv("A=", env), "A=");
  EXPECT_EQ(ResolveEnv("HOME", env), "HOME=/root");
  EXPECT_EQ(ResolveEnv("MISSING", env), "MISSING");
}

TEST(ParseEnvFileContentTest, SkipsCommentsAndResolvesBareNames) {
  auto lines =
      ParseEnvFileContent("\xEF\xBB\xBF# comment\n\nA=1\n  B= spaced \nHOME\nMISSING\nC=x=y\r\n",
                          FakeEnv({{"HOME", "/h"}}));
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_THAT(*lines, ElementsAre("A=1", "B= spaced ", "HOME=/h", "C=x=y"));
}

TEST(ParseEnvFileContentTest, RejectsBadNames) {
  EXPECT_EQ(ParseEnvFileContent("=x\n", FakeEnv({})).status().message(),
            "no variable name on line '=x'");
  EXPECT_EQ(ParseEnvFileContent("A B\n", FakeEnv({})).status().message(),
            "variable 'A B' contains whitespaces");
}

TEST(ParseTimestampTest, AcceptsTimesUnixSecondsAndDurations) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  EXPECT_EQ(*ParseTimestamp("10m", now), now - absl::Minutes(10));
  EXPECT_EQ(*ParseTimestamp("1600000000", now), absl::FromUnixSeconds(1600000000));
  EXPECT_EQ(*ParseTimestamp("1600000000.5", now),
            absl::FromUnixSeconds(1600000000) + absl::Milliseconds(500));
  EXPECT_EQ(*ParseTimestamp("2023-11-14T22:13:20Z", now), now);
  EXPECT_EQ(*ParseTimestamp("2023-11-14T23:13:20+01:00", now), now);
  EXPECT_EQ(*ParseTimestamp("2023-11-14T22:13:20.25Z", now), now + absl::Milliseconds(250));
  EXPECT_FALSE(ParseTimestamp("yesterday", now).ok());
}

}  // namespace
}  // namespace berth::ctl
