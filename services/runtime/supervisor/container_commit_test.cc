// EffectiveConfig: what a commit records of a container, Docker's container config.
#include "services/runtime/supervisor/container_commit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(EffectiveConfigTest, ContainerEnvComesFirstThenTheImagesItDoesNotOverride) {
  ImageRuntimeConfig image;
  image.env = {"PATH=/bin", "A=image", "B=image"};
  image.volumes = {"/data"};
  v1::ContainerSpec spec;
  spec.add_env("A=run");
  spec.add_env("C=run");
  spec.mutable_cmd()->add_args("sh");
  spec.set_user("1000");
  spec.set_working_dir("/srv");
  (*spec.mutable_labels())["k"] = "v";
  spec.mutable_network()->add_exposed_ports("80/tcp");
  spec.set_stop_signal("SIGINT");

  ImageRuntimeConfig config = EffectiveConfig(spec, image);
  EXPECT_THAT(config.env, ElementsAre("A=run", "C=run", "PATH=/bin", "B=image"));
  EXPECT_THAT(config.cmd, ElementsAre("sh"));
  EXPECT_THAT(config.entrypoint, IsEmpty());
  EXPECT_EQ(config.user, "1000");
  EXPECT_EQ(config.working_dir, "/srv");
  EXPECT_THAT(config.labels, ElementsAre(Pair("k", "v")));
  EXPECT_THAT(config.exposed_ports, ElementsAre("80/tcp"));
  EXPECT_THAT(config.volumes, ElementsAre("/data"));
  EXPECT_EQ(config.stop_signal, "SIGINT");
  EXPECT_THAT(config.healthcheck.test, IsEmpty());
}

TEST(EffectiveConfigTest, HealthcheckComesFromTheSpec) {
  v1::ContainerSpec spec;
  types::v1::HealthcheckConfig* health = spec.mutable_healthcheck();
  health->add_test("CMD-SHELL");
  health->add_test("true");
  health->mutable_interval()->set_seconds(2);
  health->set_retries(3);
  ImageRuntimeConfig config = EffectiveConfig(spec, {});
  EXPECT_THAT(config.healthcheck.test, ElementsAre("CMD-SHELL", "true"));
  EXPECT_EQ(config.healthcheck.interval_ns, 2000000000);
  EXPECT_EQ(config.healthcheck.retries, 3);
}

}  // namespace
}  // namespace berth::runtime
