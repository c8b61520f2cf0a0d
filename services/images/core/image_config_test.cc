#include "services/images/core/image_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"

namespace berth::images {
namespace {

using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The shape `docker image inspect`'s source config has, trimmed.
const char kDockerConfig[] = R"({
  "architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
  "author": "someone", "container": "0123abcd",
  "config": {
    "User": "1000:1000", "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
    "Env": ["PATH=/usr/bin", "A=b"], "Entrypoint": null, "Cmd": ["sh"],
    "Volumes": {"/data": {}}, "WorkingDir": "/srv", "Labels": {"k": "v"},
    "StopSignal": "SIGQUIT",
    "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 30000000000,
                    "Timeout": 5000000000, "StartPeriod": 1000000000, "Retries": 3}
  },
  "rootfs": {"type": "layers", "diff_ids": ["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]},
  "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "ADD file", "empty_layer": false},
              {"created_by": "CMD [\"sh\"]", "empty_layer": true}]
})";

TEST(ImageConfigTest, ParsesDockerConfig) {
  auto config = ParseImageConfig(kDockerConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->architecture, "amd64");
  EXPECT_EQ(config->author, "someone");
  EXPECT_EQ(config->container, "0123abcd");
  EXPECT_EQ(config->config.user, "1000:1000");
  EXPECT_THAT(config->config.exposed_ports, ElementsAre("53/udp", "80/tcp"));
  EXPECT_THAT(config->config.env, ElementsAre("PATH=/usr/bin", "A=b"));
  EXPECT_TRUE(config->config.entrypoint.empty());
  EXPECT_THAT(config->config.cmd, ElementsAre("sh"));
  EXPECT_THAT(config->config.volumes, ElementsAre("/data"));
  EXPECT_EQ(config->config.working_dir, "/srv");
  EXPECT_EQ(config->config.labels.at("k"), "v");
  EXPECT_EQ(config->config.stop_signal, "SIGQUIT");
  ASSERT_TRUE(config->config.healthcheck.has_value());
  EXPECT_EQ(config->config.healthcheck->interval_ns, 30000000000);
  EXPECT_EQ(config->config.healthcheck->retries, 3);
  ASSERT_EQ(config->diff_ids.size(), 1u);
  EXPECT_EQ(config->diff_ids[0], Digest::Of(""));
  ASSERT_EQ(config->history.size(), 2u);
  EXPECT_TRUE(config->history[1].empty_layer);
}

TEST(ImageConfigTest, RoundTrips) {
  auto config = ParseImageConfig(kDockerConfig);
  ASSERT_TRUE(config.ok());
  std::string bytes = SerializeImageConfig(*config);
  auto again = ParseImageConfig(bytes);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *config);
  EXPECT_EQ(SerializeImageConfig(*again), bytes);
  EXPECT_THAT(bytes, HasSubstr(R"("ExposedPorts":{"53/udp":{},"80/tcp":{}})"));
}

TEST(ImageConfigTest, ErrorsNameTheField) {
  EXPECT_THAT(ParseImageConfig("nope"),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid image config: malformed JSON"));
  EXPECT_THAT(ParseImageConfig(R"({"os":"linux","rootfs":{"type":"layers","diff_ids":[]}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "invalid image config: missing field \"architecture\""));
  EXPECT_THAT(ParseImageConfig(R"({"architecture":"amd64","os":"linux"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing field \"rootfs\"")));
  const std::string head = R"({"architecture":"amd64","os":"linux",)";
  const std::string rootfs = R"("rootfs":{"type":"layers","diff_ids":[]})";
  EXPECT_THAT(ParseImageConfig(head + R"("config":{"Env":["A=1",2]},)" + rootfs + "}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("field \"config.Env[1]\" must be a string, not number")));
  EXPECT_THAT(ParseImageConfig(head + R"("config":{"Cmd":"sh"},)" + rootfs + "}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("field \"config.Cmd\" must be an array, not string")));
  EXPECT_THAT(
      ParseImageConfig(head + R"("config":{"Healthcheck":{"Retries":"3"}},)" + rootfs + "}"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.Healthcheck.Retries")));
  EXPECT_THAT(ParseImageConfig(head + R"("rootfs":{"type":"layers","diff_ids":["x"]}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rootfs.diff_ids[0]")));
  EXPECT_THAT(ParseImageConfig(head + R"("rootfs":{"type":"other","diff_ids":[]}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rootfs.type")));
  EXPECT_THAT(ParseImageConfig(head + rootfs + R"(,"history":[{"empty_layer":"yes"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("history[0].empty_layer")));
}

}  // namespace
}  // namespace berth::images
