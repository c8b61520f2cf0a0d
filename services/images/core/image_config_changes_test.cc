#include "services/images/core/image_config_changes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"

namespace berth::images {
namespace {

using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(ImageConfigChangesTest, CmdAndEntrypointTakeBothForms) {
  ContainerConfig config;
  BERTH_ASSERT_OK(ApplyChange(R"(CMD ["sh", "-c", "echo hi"])", &config));
  EXPECT_THAT(config.cmd, ElementsAre("sh", "-c", "echo hi"));
  BERTH_ASSERT_OK(ApplyChange("entrypoint top -b", &config));
  EXPECT_THAT(config.entrypoint, ElementsAre("/bin/sh", "-c", "top -b"));
}

TEST(ImageConfigChangesTest, EnvAndLabelPairs) {
  ContainerConfig config;
  config.env = {"PATH=/bin", "A=old"};
  BERTH_ASSERT_OK(
      ApplyChanges({"ENV A=b C=\"d e\"", "ENV LEGACY some value", "LABEL x=1 'y z'=2"}, &config));
  EXPECT_THAT(config.env, ElementsAre("PATH=/bin", "A=b", "C=d e", "LEGACY=some value"));
  EXPECT_THAT(config.labels, ElementsAre(Pair("x", "1"), Pair("y z", "2")));
}

TEST(ImageConfigChangesTest, ExposeVolumeUserWorkdirStopsignal) {
  ContainerConfig config;
  BERTH_ASSERT_OK(ApplyChanges({"EXPOSE 80 53/udp 80", "VOLUME [\"/data\"]", "VOLUME /a /b",
                                "USER nobody", "WORKDIR /srv", "WORKDIR app", "STOPSIGNAL SIGINT"},
                               &config));
  EXPECT_THAT(config.exposed_ports, ElementsAre("80/tcp", "53/udp"));
  EXPECT_THAT(config.volumes, ElementsAre("/data", "/a", "/b"));
  EXPECT_EQ(config.user, "nobody");
  EXPECT_EQ(config.working_dir, "/srv/app");
  EXPECT_EQ(config.stop_signal, "SIGINT");
}

TEST(ImageConfigChangesTest, RefusesOtherInstructionsAndMissingArguments) {
  ContainerConfig config;
  EXPECT_THAT(ApplyChange("RUN rm -rf /", &config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a valid change")));
  EXPECT_THAT(ApplyChange("CMD", &config), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ApplyChange("EXPOSE http", &config), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ApplyChange("ENV A=\"b", &config), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace berth::images
