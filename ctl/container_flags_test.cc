#include "ctl/container_flags.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Parses `args` (after "run") as berthctl run would and builds the request.
absl::StatusOr<runtime::v1::CreateContainerRequest> Build(
    std::vector<std::string> args, std::map<std::string, std::string> files = {}) {
  CLI::App app;
  app.set_help_flag();  // as berthctl: -h is --hostname for run
  ContainerFlags flags;
  auto* run = app.add_subcommand("run");
  AddContainerFlags(*run, flags);
  run->add_flag("-d", flags.detach);
  args.insert(args.begin(), "run");
  std::reverse(args.begin(), args.end());
  app.parse(args);
  flags.image_and_args = run->remaining();
  EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return "/home/me";
    return std::nullopt;
  };
  FileReader read = [files](const std::string& path) -> absl::StatusOr<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return absl::NotFoundError("open " + path);
    return it->second;
  };
  return BuildCreateRequest(flags, env, read);
}

TEST(ContainerFlagsTest, ImageAndCommandStopFlagParsing) {
  auto request = Build({"--name", "web", "-d", "busybox", "sh", "-c", "echo -e hi"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->name(), "web");
  EXPECT_EQ(request->spec().image(), "busybox");
  EXPECT_THAT(request->spec().cmd().args(), ElementsAre("sh", "-c", "echo -e hi"));
  EXPECT_FALSE(request->spec().has_entrypoint());
  EXPECT_FALSE(request->spec().attach_stdout());  // -d
}

TEST(ContainerFlagsTest, NoCommandLeavesCmdUnset) {
  auto request = Build({"-it", "busybox"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_FALSE(request->spec().has_cmd());
  EXPECT_TRUE(request->spec().tty());
  EXPECT_TRUE(request->spec().open_stdin());
  EXPECT_TRUE(request->spec().attach_stdin());
  EXPECT_TRUE(request->spec().stdin_once());
}

TEST(ContainerFlagsTest, EmptyEntrypointClearsIt) {
  auto request = Build({"--entrypoint", "", "busybox"});
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_TRUE(request->spec().has_entrypoint());
  EXPECT_TRUE(request->spec().entrypoint().args().empty());
}

TEST(ContainerFlagsTest, EnvFromFlagsAndFiles) {
  auto request = Build({"--env-file", "a.env", "-e", "A=1", "-e", "HOME", "busybox"},
                       {{"a.env", "# c\nX=y\n"}});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->spec().env(), ElementsAre("X=y", "A=1", "HOME=/home/me"));
  EXPECT_FALSE(Build({"--env-file", "missing.env", "busybox"}).ok());
}

TEST(ContainerFlagsTest, ResourcesAndSecurity) {
  auto request = Build({"-m",
                        "64m",
                        "--memory-swap",
                        "-1",
                        "--cpus",
                        "1.5",
                        "--cpu-shares",
                        "512",
                        "--pids-limit",
                        "100",
                        "--oom-score-adj",
                        "-500",
                        "--ulimit",
                        "nofile=1024:2048",
                        "--ulimit",
                        "nproc=10",
                        "--privileged",
                        "--cap-add",
                        "NET_ADMIN",
                        "--read-only",
                        "--shm-size",
                        "1g",
                        "--init",
                        "--sysctl",
                        "net.ipv4.ip_forward=1",
                        "busybox"});
  ASSERT_TRUE(request.ok()) << request.status();
  const auto& spec = request->spec();
  EXPECT_EQ(spec.resources().memory_bytes(), 64 << 20);
  EXPECT_EQ(spec.resources().memory_swap_bytes(), -1);
  EXPECT_EQ(spec.resources().nano_cpus(), 1500000000);
  EXPECT_EQ(spec.resources().cpu_shares(), 512);
  EXPECT_EQ(spec.resources().pids_limit(), 100);
  EXPECT_EQ(spec.resources().oom_score_adj(), -500);
  ASSERT_EQ(spec.resources().ulimits_size(), 2);
  EXPECT_EQ(spec.resources().ulimits(0).hard(), 2048);
  EXPECT_EQ(spec.resources().ulimits(1).hard(), 10);
  EXPECT_TRUE(spec.security().privileged());
  EXPECT_THAT(spec.security().cap_add(), ElementsAre("NET_ADMIN"));
  EXPECT_TRUE(spec.security().read_only_rootfs());
  EXPECT_EQ(spec.shm_size_bytes(), int64_t{1} << 30);
  EXPECT_TRUE(spec.has_init() && spec.init());
  EXPECT_EQ(spec.sysctls().at("net.ipv4.ip_forward"), "1");
}

TEST(ContainerFlagsTest, BadValuesGiveDockersMessages) {
  EXPECT_EQ(Build({"-m", "lots", "busybox"}).status().message(),
            "invalid argument \"lots\" for \"-m, --memory\" flag: invalid size: 'lots'");
  EXPECT_THAT(std::string(Build({"--restart", "bogus", "busybox"}).status().message()),
              HasSubstr("unknown policy 'bogus'"));
  EXPECT_FALSE(Build({"--rm", "--restart", "always", "busybox"}).ok());
  EXPECT_FALSE(Build({"--no-healthcheck", "--health-cmd", "true", "busybox"}).ok());
}

TEST(ContainerFlagsTest, RestartLogAndHealth) {
  auto request = Build({"--restart",
                        "on-failure:5",
                        "--log-driver",
                        "json-file",
                        "--log-opt",
                        "max-size=10m",
                        "--health-cmd",
                        "curl -f localhost",
                        "--health-interval",
                        "1m30s",
                        "--health-retries",
                        "4",
                        "--stop-signal",
                        "SIGINT",
                        "--stop-timeout",
                        "20",
                        "-l",
                        "a=b",
                        "-l",
                        "c",
                        "busybox"});
  ASSERT_TRUE(request.ok()) << request.status();
  const auto& spec = request->spec();
  EXPECT_EQ(spec.restart_policy(), runtime::v1::RESTART_POLICY_ON_FAILURE);
  EXPECT_EQ(spec.restart_max_retries(), 5);
  EXPECT_EQ(spec.log_config().driver(), "json-file");
  EXPECT_EQ(spec.log_config().options().at("max-size"), "10m");
  EXPECT_THAT(spec.healthcheck().test(), ElementsAre("CMD-SHELL", "curl -f localhost"));
  EXPECT_EQ(spec.healthcheck().interval().seconds(), 90);
  EXPECT_FALSE(spec.healthcheck().has_timeout());
  EXPECT_EQ(spec.healthcheck().retries(), 4);
  EXPECT_EQ(spec.stop_signal(), "SIGINT");
  EXPECT_EQ(spec.stop_timeout().seconds(), 20);
  EXPECT_EQ(spec.labels().at("a"), "b");
  EXPECT_EQ(spec.labels().at("c"), "");
}

TEST(ContainerFlagsTest, NoHealthcheckDisablesIt) {
  auto request = Build({"--no-healthcheck", "busybox"});
  ASSERT_TRUE(request.ok());
  EXPECT_THAT(request->spec().healthcheck().test(), ElementsAre("NONE"));
  EXPECT_FALSE(Build({"busybox"})->spec().has_healthcheck());
}

TEST(ParsePortMappingTest, DockerForms) {
  auto p = ParsePortMapping("127.0.0.1:8080:80/udp");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->host_ip(), "127.0.0.1");
  EXPECT_EQ(p->host_port(), 8080u);
  EXPECT_EQ(p->container_port(), 80u);
  EXPECT_EQ(p->protocol(), types::v1::PORT_PROTOCOL_UDP);
  p = ParsePortMapping("8000-8001:80-81");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->host_port_end(), 8001u);
  EXPECT_EQ(p->container_port_end(), 81u);
  p = ParsePortMapping("80");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->host_port(), 0u);
  EXPECT_EQ(p->protocol(), types::v1::PORT_PROTOCOL_TCP);
  p = ParsePortMapping("[::1]:8080:80");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->host_ip(), "::1");
  EXPECT_FALSE(ParsePortMapping("x:80").ok());
  EXPECT_FALSE(ParsePortMapping("80/xyz").ok());
}

TEST(ParseVolumeTest, BindNamedAndAnonymous) {
  auto bind = ParseVolume("/src:/dst:ro,rshared");
  ASSERT_TRUE(bind.ok());
  EXPECT_TRUE(bind->has_bind());
  EXPECT_EQ(bind->bind().host_path(), "/src");
  EXPECT_EQ(bind->target(), "/dst");
  EXPECT_TRUE(bind->read_only());
  EXPECT_EQ(bind->bind().propagation(), types::v1::MOUNT_PROPAGATION_RSHARED);
  auto named = ParseVolume("data:/var/lib/data");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->volume().name(), "data");
  auto anonymous = ParseVolume("/cache");
  ASSERT_TRUE(anonymous.ok());
  EXPECT_TRUE(anonymous->has_volume());
  EXPECT_EQ(anonymous->volume().name(), "");
  EXPECT_FALSE(ParseVolume("a:relative").ok());
  EXPECT_FALSE(ParseVolume("/a:/b:bogus").ok());
}

TEST(ParseTmpfsTest, SizeModeAndOptions) {
  auto m = ParseTmpfs("/run:size=64m,mode=1770,noexec");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->target(), "/run");
  EXPECT_EQ(m->tmpfs().size_bytes(), 64 << 20);
  EXPECT_EQ(m->tmpfs().mode(), 01770u);
  EXPECT_THAT(m->tmpfs().options(), ElementsAre("noexec"));
}

TEST(ParseMountTest, VolumeBindAndTmpfs) {
  auto volume = ParseMount("type=volume,src=data,dst=/data,volume-nocopy,volume-opt=type=tmpfs");
  ASSERT_TRUE(volume.ok()) << volume.status();
  EXPECT_EQ(volume->target(), "/data");
  EXPECT_EQ(volume->volume().name(), "data");
  EXPECT_TRUE(volume->volume().nocopy());
  EXPECT_EQ(volume->volume().driver_options().at("type"), "tmpfs");
  auto bind = ParseMount("type=bind,source=/src,target=/dst,readonly,bind-propagation=rslave");
  ASSERT_TRUE(bind.ok()) << bind.status();
  EXPECT_TRUE(bind->read_only());
  EXPECT_EQ(bind->bind().host_path(), "/src");
  EXPECT_FALSE(bind->bind().create_host_path());  // --mount never creates the source
  EXPECT_EQ(bind->bind().propagation(), types::v1::MOUNT_PROPAGATION_RSLAVE);
  auto tmpfs = ParseMount("type=tmpfs,dst=/run,tmpfs-size=64m,tmpfs-mode=1770");
  ASSERT_TRUE(tmpfs.ok()) << tmpfs.status();
  EXPECT_EQ(tmpfs->tmpfs().size_bytes(), 64 << 20);
  EXPECT_EQ(tmpfs->tmpfs().mode(), 01770u);
  auto anonymous = ParseMount("target=/cache");
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->volume().name(), "");

  EXPECT_THAT(ParseMount("type=bind,dst=/x").status().message(),
              HasSubstr("field Source must not be empty"));
  EXPECT_THAT(ParseMount("type=volume,src=v").status().message(),
              HasSubstr("field Target must not be empty"));
  EXPECT_THAT(ParseMount("type=tmpfs,src=x,dst=/x").status().message(),
              HasSubstr("must not be specified"));
  EXPECT_THAT(ParseMount("dst=/x,colour=red").status().message(),
              HasSubstr("unexpected key 'colour'"));
  EXPECT_THAT(ParseMount("type=nfs,dst=/x").status().message(), HasSubstr("invalid mount type"));
  EXPECT_FALSE(ParseMount("type=bind,src=/a,dst=/b,volume-nocopy").ok());
}

TEST(ParseExposeTest, PortsRangesAndProtocols) {
  EXPECT_THAT(*ParseExpose("80"), ElementsAre("80/tcp"));
  EXPECT_THAT(*ParseExpose("53/udp"), ElementsAre("53/udp"));
  EXPECT_THAT(*ParseExpose("7000-7002"), ElementsAre("7000/tcp", "7001/tcp", "7002/tcp"));
  EXPECT_FALSE(ParseExpose("80/icmp").ok());
  EXPECT_FALSE(ParseExpose("http").ok());
  EXPECT_FALSE(ParseExpose("0").ok());
}

TEST(BuildCreateRequestTest, NetworkFlags) {
  ContainerFlags flags;
  flags.image_and_args = {"busybox"};
  flags.network = "front";
  flags.publish_all = true;
  flags.expose = {"2222"};
  flags.dns = {"10.0.0.2"};
  flags.dns_search = {"example.com"};
  flags.add_hosts = {"www.example.com:1.1.1.1", "gw=host-gateway"};
  flags.ip = "172.30.0.9";
  flags.network_aliases = {"web"};
  auto request = BuildCreateRequest(flags);
  ASSERT_TRUE(request.ok()) << request.status();
  const auto& network = request->spec().network();
  EXPECT_EQ(network.mode(), "front");
  EXPECT_TRUE(network.publish_all());
  EXPECT_THAT(network.exposed_ports(), ElementsAre("2222/tcp"));
  EXPECT_THAT(network.dns(), ElementsAre("10.0.0.2"));
  EXPECT_THAT(network.extra_hosts(), ElementsAre("www.example.com:1.1.1.1", "gw:host-gateway"));
  ASSERT_EQ(network.networks_size(), 1);
  EXPECT_EQ(network.networks(0).network(), "front");
  EXPECT_EQ(network.networks(0).ipv4_address(), "172.30.0.9");
  EXPECT_THAT(network.networks(0).aliases(), ElementsAre("web"));
  flags.add_hosts = {"nocolon"};
  EXPECT_FALSE(BuildCreateRequest(flags).ok());
}

TEST(ParseVolumesFromTest, Modes) {
  auto plain = ParseVolumesFrom("store");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->container_id(), "store");
  EXPECT_EQ(plain->mode(), types::v1::VOLUMES_FROM_MODE_UNSPECIFIED);
  EXPECT_EQ(ParseVolumesFrom("store:ro")->mode(), types::v1::VOLUMES_FROM_MODE_READ_ONLY);
  EXPECT_EQ(ParseVolumesFrom("store:rw")->mode(), types::v1::VOLUMES_FROM_MODE_READ_WRITE);
  EXPECT_FALSE(ParseVolumesFrom("store:rx").ok());
  EXPECT_FALSE(ParseVolumesFrom("").ok());
}

}  // namespace
}  // namespace berth::ctl
