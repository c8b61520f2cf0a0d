#include "ctl/container_format.h"

#include "ctl/output_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::ctl {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

google::protobuf::Timestamp Ago(absl::Duration d) {
  google::protobuf::Timestamp t;
  t.set_seconds(absl::ToUnixSeconds(kNow - d));
  return t;
}

runtime::v1::ContainerState State(runtime::v1::ContainerStatus status) {
  runtime::v1::ContainerState state;
  state.set_status(status);
  return state;
}

TEST(RenderRowsTest, TableTemplateAndJson) {
  std::vector<nlohmann::ordered_json> rows;
  rows.push_back({{"Name", "data"}, {"Driver", "local"}});
  rows.push_back({{"Name", "cache"}, {"Driver", "local"}});
  const std::vector<std::pair<std::string, std::string>> headers = {{"Driver", "DRIVER"},
                                                                    {"Name", "VOLUME NAME"}};
  EXPECT_EQ(RenderRows(rows, "", "{{.Driver}}\t{{.Name}}", headers),
            "DRIVER    VOLUME NAME\nlocal     data\nlocal     cache\n");
  EXPECT_EQ(RenderRows(rows, "{{.Name}}", "{{.Driver}}\t{{.Name}}", headers), "data\ncache\n");
  EXPECT_EQ(RenderRows(rows, "json", "{{.Name}}", headers),
            "{\"Name\":\"data\",\"Driver\":\"local\"}\n"
            "{\"Name\":\"cache\",\"Driver\":\"local\"}\n");
}

TEST(HumanDurationTest, GoUnitsTable) {
  const std::pair<absl::Duration, const char*> cases[] = {
      {absl::Milliseconds(500), "Less than a second"},
      {absl::Seconds(1), "1 second"},
      {absl::Seconds(45), "45 seconds"},
      {absl::Seconds(90), "About a minute"},
      {absl::Minutes(3), "3 minutes"},
      {absl::Minutes(59), "59 minutes"},
      {absl::Minutes(61), "About an hour"},
      {absl::Hours(5), "5 hours"},
      {absl::Hours(47), "47 hours"},
      {absl::Hours(24 * 3), "3 days"},
      {absl::Hours(24 * 7 * 3), "3 weeks"},
      {absl::Hours(24 * 30 * 3), "3 months"},
      {absl::Hours(24 * 365 * 3), "3 years"},
  };
  for (const auto& [d, text] : cases) EXPECT_EQ(HumanDuration(d), text) << d;
}

TEST(ContainerStatusTextTest, DockerStrings) {
  auto running = State(runtime::v1::CONTAINER_STATUS_RUNNING);
  *running.mutable_started_at() = Ago(absl::Seconds(5));
  EXPECT_EQ(ContainerStatusText(running, kNow), "Up 5 seconds");
  running.mutable_health()->set_status(runtime::v1::HEALTH_STATUS_HEALTHY);
  *running.mutable_started_at() = Ago(absl::Hours(1));
  EXPECT_EQ(ContainerStatusText(running, kNow), "Up About an hour (healthy)");
  running.mutable_health()->set_status(runtime::v1::HEALTH_STATUS_STARTING);
  EXPECT_EQ(ContainerStatusText(running, kNow), "Up About an hour (health: starting)");

  auto paused = State(runtime::v1::CONTAINER_STATUS_PAUSED);
  *paused.mutable_started_at() = Ago(absl::Minutes(2));
  EXPECT_EQ(ContainerStatusText(paused, kNow), "Up 2 minutes (Paused)");

  auto exited = State(runtime::v1::CONTAINER_STATUS_EXITED);
  *exited.mutable_started_at() = Ago(absl::Minutes(1));
  *exited.mutable_finished_at() = Ago(absl::Seconds(3));
  EXPECT_EQ(ContainerStatusText(exited, kNow), "Exited (0) 3 seconds ago");
  exited.set_exit_code(137);
  EXPECT_EQ(ContainerStatusText(exited, kNow), "Exited (137) 3 seconds ago");

  auto restarting = State(runtime::v1::CONTAINER_STATUS_RESTARTING);
  restarting.set_exit_code(1);
  *restarting.mutable_finished_at() = Ago(absl::Seconds(2));
  EXPECT_EQ(ContainerStatusText(restarting, kNow), "Restarting (1) 2 seconds ago");

  EXPECT_EQ(ContainerStatusText(State(runtime::v1::CONTAINER_STATUS_CREATED), kNow), "Created");
  EXPECT_EQ(ContainerStatusText(State(runtime::v1::CONTAINER_STATUS_DEAD), kNow), "Dead");
}

TEST(CommandColumnTest, TruncatesThenQuotes) {
  EXPECT_EQ(CommandColumn("sh -c 'sleep 1000'", false), "\"sh -c 'sleep 1000'\"");
  EXPECT_EQ(CommandColumn("/docker-entrypoint.sh nginx -g 'daemon off;'", false),
            "\"/docker-entrypoint.…\"");
  EXPECT_EQ(CommandColumn("/docker-entrypoint.sh nginx", true), "\"/docker-entrypoint.sh nginx\"");
  EXPECT_EQ(CommandColumn("echo \"hi\"\n", false), "\"echo \\\"hi\\\"\\n\"");
}

TEST(StartFailureExitCodeTest, MapsDockerMessages) {
  EXPECT_EQ(StartFailureExitCode("exec: \"nope\": executable file not found in $PATH"), 127);
  EXPECT_EQ(StartFailureExitCode("exec /x: no such file or directory"), 127);
  EXPECT_EQ(StartFailureExitCode("exec /no/such: No such file or directory"), 127);
  EXPECT_EQ(StartFailureExitCode("exec /etc: permission denied"), 126);
  EXPECT_EQ(StartFailureExitCode("exec /etc: is a directory"), 126);
  EXPECT_EQ(StartFailureExitCode("cgroup: something else"), 125);
}

runtime::v1::ListContainersResponse SampleList() {
  runtime::v1::ListContainersResponse response;
  auto* c = response.add_containers();
  c->set_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  c->add_names("web");
  c->set_image("nginx:latest");
  c->set_command("/docker-entrypoint.sh nginx -g 'daemon off;'");
  *c->mutable_created() = Ago(absl::Minutes(3));
  *c->mutable_state() = State(runtime::v1::CONTAINER_STATUS_RUNNING);
  *c->mutable_state()->mutable_started_at() = Ago(absl::Minutes(2));
  auto* port = c->add_ports();
  port->set_host_ip("0.0.0.0");
  port->set_host_port(8080);
  port->set_container_port(80);
  port->set_protocol(types::v1::PORT_PROTOCOL_TCP);
  (*c->mutable_labels())["tier"] = "front";
  auto* d = response.add_containers();
  d->set_id("fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
  d->add_names("job");
  d->set_image("busybox");
  d->set_command("sh -c 'sleep 1000'");
  *d->mutable_created() = Ago(absl::Hours(5));
  *d->mutable_state() = State(runtime::v1::CONTAINER_STATUS_EXITED);
  *d->mutable_state()->mutable_started_at() = Ago(absl::Hours(5));
  *d->mutable_state()->mutable_finished_at() = Ago(absl::Hours(4));
  return response;
}

TEST(RenderPsTest, DefaultTable) {
  EXPECT_EQ(RenderPs(SampleList(), {}, kNow),
            "CONTAINER ID   IMAGE          COMMAND                  CREATED         STATUS"
            "                   PORTS                  NAMES\n"
            "0123456789ab   nginx:latest   \"/docker-entrypoint.…\"   3 minutes ago   Up 2 "
            "minutes             0.0.0.0:8080->80/tcp   web\n"
            "fedcba987654   busybox        \"sh -c 'sleep 1000'\"     5 hours ago     Exited "
            "(0) 4 hours ago                          job\n");
}

TEST(RenderPsTest, QuietTemplateAndLabel) {
  PsOptions quiet;
  quiet.quiet = true;
  EXPECT_EQ(RenderPs(SampleList(), quiet, kNow), "0123456789ab\nfedcba987654\n");
  quiet.no_trunc = true;
  EXPECT_THAT(RenderPs(SampleList(), quiet, kNow),
              HasSubstr("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"));
  PsOptions format;
  format.format = "{{.Names}}:{{.State}}:{{.Label \"tier\"}}";
  EXPECT_EQ(RenderPs(SampleList(), format, kNow), "web:running:front\njob:exited:\n");
  format.format = "table {{.ID}}\\t{{.Label \"tier\"}}";
  EXPECT_EQ(RenderPs(SampleList(), format, kNow),
            "CONTAINER ID   LABEL\n0123456789ab   front\nfedcba987654   \n");
}

TEST(RenderPsTest, JsonLinesHaveDockersFields) {
  PsOptions json;
  json.format = "json";
  std::string out = RenderPs(SampleList(), json, kNow);
  auto first = nlohmann::json::parse(out.substr(0, out.find('\n')));
  EXPECT_EQ(first["ID"], "0123456789ab");
  EXPECT_EQ(first["Names"], "web");
  EXPECT_EQ(first["Labels"], "tier=front");
  EXPECT_EQ(first["Ports"], "0.0.0.0:8080->80/tcp");
  EXPECT_EQ(first["RunningFor"], "3 minutes ago");
  EXPECT_EQ(first["Status"], "Up 2 minutes");
}

TEST(ContainerInspectJsonTest, DockerShape) {
  runtime::v1::ContainerInspect c;
  c.set_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  c.set_name("web");
  c.set_path("nginx");
  c.add_args("-g");
  c.add_args("daemon off;");
  c.set_image_id("sha256:abc");
  c.set_driver("overlayfs");
  *c.mutable_state() = State(runtime::v1::CONTAINER_STATUS_RUNNING);
  c.mutable_state()->set_pid(42);
  c.mutable_state()->mutable_started_at()->set_seconds(1700000000);
  auto* spec = c.mutable_spec();
  spec->set_image("nginx");
  spec->set_tty(true);
  spec->add_env("PATH=/usr/bin");
  spec->mutable_cmd()->add_args("nginx");
  spec->set_restart_policy(runtime::v1::RESTART_POLICY_ON_FAILURE);
  spec->set_restart_max_retries(3);
  spec->set_auto_remove(true);
  spec->mutable_resources()->set_memory_bytes(64 << 20);
  spec->mutable_resources()->set_nano_cpus(1500000000);
  (*spec->mutable_labels())["a"] = "b";
  auto* mount = c.add_mounts();
  mount->set_type("volume");
  mount->set_name("data");
  mount->set_destination("/data");
  mount->set_rw(true);

  auto j = ContainerInspectJson(c);
  EXPECT_EQ(j["Id"], c.id());
  EXPECT_EQ(j["Name"], "/web");
  EXPECT_EQ(j["Path"], "nginx");
  EXPECT_EQ(j["Args"], nlohmann::ordered_json::parse(R"(["-g", "daemon off;"])"));
  EXPECT_EQ(j["Image"], "sha256:abc");
  EXPECT_EQ(j["State"]["Status"], "running");
  EXPECT_EQ(j["State"]["Running"], true);
  EXPECT_EQ(j["State"]["Paused"], false);
  EXPECT_EQ(j["State"]["Pid"], 42);
  EXPECT_EQ(j["State"]["StartedAt"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(j["State"]["FinishedAt"], "0001-01-01T00:00:00Z");
  EXPECT_FALSE(j["State"].contains("Health"));
  EXPECT_EQ(j["Config"]["Image"], "nginx");
  EXPECT_EQ(j["Config"]["Tty"], true);
  EXPECT_EQ(j["Config"]["Env"][0], "PATH=/usr/bin");
  EXPECT_EQ(j["Config"]["Cmd"][0], "nginx");
  EXPECT_TRUE(j["Config"]["Entrypoint"].is_null());
  EXPECT_EQ(j["Config"]["Labels"]["a"], "b");
  EXPECT_EQ(j["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
  EXPECT_EQ(j["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], 3);
  EXPECT_EQ(j["HostConfig"]["AutoRemove"], true);
  EXPECT_EQ(j["HostConfig"]["Memory"], 64 << 20);
  EXPECT_EQ(j["HostConfig"]["NanoCpus"], 1500000000);
  EXPECT_EQ(j["Mounts"][0]["Type"], "volume");
  EXPECT_EQ(j["Mounts"][0]["Name"], "data");
  EXPECT_EQ(j["Mounts"][0]["RW"], true);
  EXPECT_TRUE(j["NetworkSettings"]["Networks"].is_object());
  EXPECT_FALSE(j.contains("SizeRw"));
  // Docker's key order at the top level.
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  EXPECT_EQ(keys.front(), "Id");
  EXPECT_EQ(keys.back(), "NetworkSettings");
  // 4-space indentation as `docker inspect` prints.
  EXPECT_THAT(nlohmann::ordered_json::array({j}).dump(4), HasSubstr("\n        \"Id\": "));
}

}  // namespace
}  // namespace berth::ctl
