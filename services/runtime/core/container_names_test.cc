// Tests for container IDs, generated names, name validation and the record helpers.
#include "services/runtime/core/container_names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "common/status_matchers.h"
#include "services/runtime/core/container_record.h"

namespace berth::runtime {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::IsOkAndHolds;
using ::berth::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(NewContainerIdTest, SixtyFourLowercaseHexWithNonNumericShortForm) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string id = NewContainerId();
    EXPECT_THAT(id, MatchesRegex("[0-9a-f]{64}"));
    EXPECT_TRUE(IsContainerId(id));
    bool all_digits = true;
    for (char c : id.substr(0, kShortIdLength)) all_digits = all_digits && absl::ascii_isdigit(c);
    EXPECT_FALSE(all_digits) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(IsContainerIdTest, OnlyFullLowercaseHex) {
  EXPECT_TRUE(IsContainerId(std::string(64, 'a')));
  EXPECT_FALSE(IsContainerId(std::string(63, 'a')));
  EXPECT_FALSE(IsContainerId(std::string(65, 'a')));
  EXPECT_FALSE(IsContainerId(std::string(64, 'A')));
  EXPECT_FALSE(IsContainerId(std::string(63, 'a') + "g"));
  EXPECT_FALSE(IsContainerId(""));
}

TEST(GenerateContainerNameTest, AdjectiveUnderscoreSurname) {
  for (int i = 0; i < 500; ++i) {
    const std::string name = GenerateContainerName([](const std::string&) { return false; });
    EXPECT_THAT(name, MatchesRegex("[a-z]+_[a-z]+"));
    EXPECT_NE(name, "boring_wozniak");
    EXPECT_THAT(ValidateContainerName(name), IsOk());
  }
}

TEST(GenerateContainerNameTest, UniqueOverThousandDrawsAgainstTakenSet) {
  std::set<std::string> taken;
  for (int i = 0; i < 1000; ++i) {
    const std::string name =
        GenerateContainerName([&](const std::string& n) { return taken.contains(n); });
    EXPECT_THAT(name, MatchesRegex("[a-z]+_[a-z]+[0-9]*"));
    EXPECT_THAT(ValidateContainerName(name), IsOk());
    EXPECT_TRUE(taken.insert(name).second) << name << " was handed out twice";
  }
  EXPECT_EQ(taken.size(), 1000u);
}

TEST(GenerateContainerNameTest, AppendsDigitsWhenBareNamesAreTaken) {
  int asked = 0;
  const std::string name = GenerateContainerName([&](const std::string& n) {
    ++asked;
    return !absl::ascii_isdigit(n.back());  // every bare name is taken
  });
  EXPECT_THAT(name, MatchesRegex("[a-z]+_[a-z]+[0-9]+"));
  EXPECT_GT(asked, 1);
}

TEST(GenerateContainerNameTest, GrowsTheNumberWhenSingleDigitsAreTaken) {
  const std::string name = GenerateContainerName([](const std::string& n) {
    const size_t digits = n.size() - n.find_last_not_of("0123456789") - 1;
    return digits < 2;  // bare names and one-digit suffixes are all taken
  });
  EXPECT_THAT(name, MatchesRegex("[a-z]+_[a-z]+[0-9][0-9]+"));
}

TEST(ValidateContainerNameTest, DockersRule) {
  for (const char* good : {"ab", "web", "my_app", "my-app.1", "A1", "0start", "x.y-z_w"}) {
    EXPECT_THAT(ValidateContainerName(good), IsOk()) << good;
  }
  for (const char* bad : {"", "a", "_ab", "-ab", ".ab", "/ab", "a b", "a/b", "ab!", "é1", "a:b"}) {
    EXPECT_THAT(ValidateContainerName(bad),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "Invalid container name (" + std::string(bad) +
                             "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"))
        << bad;
  }
}

TEST(ContainerStatusTest, DockerNamesRoundTrip) {
  const std::pair<ContainerStatus, const char*> table[] = {
      {ContainerStatus::kCreated, "created"},   {ContainerStatus::kRunning, "running"},
      {ContainerStatus::kPaused, "paused"},     {ContainerStatus::kRestarting, "restarting"},
      {ContainerStatus::kRemoving, "removing"}, {ContainerStatus::kExited, "exited"},
      {ContainerStatus::kDead, "dead"},
  };
  for (const auto& [status, name] : table) {
    EXPECT_EQ(ContainerStatusName(status), name);
    EXPECT_THAT(ParseContainerStatus(name), IsOkAndHolds(status));
  }
  EXPECT_THAT(ParseContainerStatus("Up"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RestartPolicyTest, ParsesDockersForms) {
  struct Case {
    const char* text;
    RestartPolicyName name;
    int max_retries;
    const char* canonical;
  };
  const Case cases[] = {
      {"", RestartPolicyName::kNo, 0, "no"},
      {"no", RestartPolicyName::kNo, 0, "no"},
      {"always", RestartPolicyName::kAlways, 0, "always"},
      {"always:0", RestartPolicyName::kAlways, 0, "always"},
      {"unless-stopped", RestartPolicyName::kUnlessStopped, 0, "unless-stopped"},
      {"on-failure", RestartPolicyName::kOnFailure, 0, "on-failure"},
      {"on-failure:", RestartPolicyName::kOnFailure, 0, "on-failure"},
      {"on-failure:0", RestartPolicyName::kOnFailure, 0, "on-failure"},
      {"on-failure:3", RestartPolicyName::kOnFailure, 3, "on-failure:3"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<RestartPolicy> policy = ParseRestartPolicy(c.text);
    ASSERT_THAT(policy, IsOk()) << c.text;
    EXPECT_EQ(policy->name, c.name) << c.text;
    EXPECT_EQ(policy->max_retries, c.max_retries) << c.text;
    EXPECT_EQ(RestartPolicyString(*policy), c.canonical) << c.text;
    EXPECT_THAT(ParseRestartPolicy(RestartPolicyString(*policy)), IsOkAndHolds(*policy));
  }
}

TEST(RestartPolicyTest, RejectsWithDockersMessages) {
  const std::pair<const char*, const char*> cases[] = {
      {":3", "invalid restart policy format: no policy provided before colon"},
      {"on-failure:x", "invalid restart policy format: maximum retry count must be an integer"},
      {"on-failure:1:2", "invalid restart policy format: maximum retry count must be an integer"},
      {"on-failure: 2", "invalid restart policy format: maximum retry count must be an integer"},
      {"on-failure:-1", "invalid restart policy: maximum retry count cannot be negative"},
      {"always:3",
       "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
      {"no:-2",
       "invalid restart policy: maximum retry count can only be used with 'on-failure' and "
       "cannot be negative"},
      {"sometimes",
       "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', "
       "'on-failure', or 'unless-stopped'"},
      {"Always", "invalid restart policy: unknown policy 'Always'"},
  };
  for (const auto& [text, message] : cases) {
    EXPECT_THAT(ParseRestartPolicy(text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << text;
  }
}

}  // namespace
}  // namespace berth::runtime
