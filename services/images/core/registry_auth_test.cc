#include "services/images/core/registry_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"

namespace berth::images {
namespace {

using ::berth::testing::StatusIs;

// Bearer auth is exercised here with fixed strings: the test registry has no token issuer.
TEST(RegistryAuthTest, ParsesBearerChallenge) {
  auto challenges = ParseWwwAuthenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "bearer");
  EXPECT_EQ(challenges[0].Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(challenges[0].Param("service"), "registry.docker.io");
  EXPECT_EQ(challenges[0].Param("scope"), "repository:library/busybox:pull");
}

TEST(RegistryAuthTest, ParsesSeveralChallengesAndQuoting) {
  auto challenges = ParseWwwAuthenticate(
      R"(Basic realm="a \"quoted\" realm", Bearer realm="https://t/x",error=invalid_token)");
  ASSERT_EQ(challenges.size(), 2u);
  EXPECT_EQ(challenges[0].scheme, "basic");
  EXPECT_EQ(challenges[0].Param("realm"), R"(a "quoted" realm)");
  EXPECT_EQ(challenges[1].scheme, "bearer");
  EXPECT_EQ(challenges[1].Param("error"), "invalid_token");
  EXPECT_TRUE(ParseWwwAuthenticate("").empty());
}

TEST(RegistryAuthTest, TokenRequestUrl) {
  AuthChallenge challenge = ParseWwwAuthenticate(
      R"(Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull")")[0];
  EXPECT_EQ(TokenRequestUrl(challenge, {"repository:a:pull"}),
            "https://auth.example/token?service=reg&scope=repository%3Aa%3Apull");
  EXPECT_EQ(TokenRequestUrl(challenge, {"repository:b:pull,push"}),
            "https://auth.example/token?service=reg&scope=repository%3Ab%3Apull%2Cpush"
            "&scope=repository%3Aa%3Apull");
}

TEST(RegistryAuthTest, TokenResponse) {
  absl::Time now = absl::FromUnixSeconds(1000);
  auto token = ParseTokenResponse(R"({"token":"abc","expires_in":300})", now);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->token, "abc");
  EXPECT_EQ(token->expires, now + absl::Seconds(300));
  auto access = ParseTokenResponse(R"({"access_token":"xyz"})", now);
  ASSERT_TRUE(access.ok());
  EXPECT_EQ(access->token, "xyz");
  EXPECT_EQ(access->expires, now + absl::Seconds(60));
  EXPECT_THAT(ParseTokenResponse("{}", now), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(ParseTokenResponse("<html>", now), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(RegistryAuthTest, TokenCacheExpires) {
  TokenCache cache;
  absl::Time now = absl::FromUnixSeconds(1000);
  cache.Put("h", "s", {"tok", now + absl::Seconds(60)});
  EXPECT_EQ(cache.Get("h", "s", now), "tok");
  EXPECT_EQ(cache.Get("h", "other", now), std::nullopt);
  EXPECT_EQ(cache.Get("h", "s", now + absl::Seconds(55)), std::nullopt);
}

TEST(RegistryAuthTest, BasicHeader) {
  EXPECT_EQ(BasicAuthorization({"user", "pass"}), "Authorization: Basic dXNlcjpwYXNz");
}

}  // namespace
}  // namespace berth::images
