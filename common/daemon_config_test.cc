#include "common/daemon_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/status_matchers.h"

namespace berth {
namespace {

using ::berth::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

absl::StatusOr<DaemonConfig> Parse(absl::string_view text) {
  return ParseDaemonConfig(text, "daemon.json");
}

TEST(DaemonConfigTest, Defaults) {
  for (absl::string_view text : {"{}", "", "  \n"}) {
    absl::StatusOr<DaemonConfig> c = Parse(text);
    BERTH_ASSERT_OK(c);
    EXPECT_EQ(c->data_root, "/var/lib/berth");
    EXPECT_EQ(c->exec_root, "/run/berth");
    EXPECT_TRUE(c->hosts.empty());
    EXPECT_EQ(c->group, "");
    EXPECT_FALSE(c->tls);
    EXPECT_FALSE(c->debug);
    EXPECT_EQ(c->log_level, "info");
    EXPECT_EQ(c->log_format, "text");
    EXPECT_EQ(c->mtu, 1500);
    EXPECT_EQ(c->log_driver, "json-file");
    EXPECT_TRUE(c->live_restore);
    EXPECT_FALSE(c->init);
    EXPECT_EQ(c->storage_driver, "");
    EXPECT_EQ(c->metrics_addr, "");
    EXPECT_THAT(c->services, ElementsAre("images", "runtime", "network", "volumes"));
    EXPECT_TRUE(c->service_addresses.empty());
    EXPECT_THAT(c->cni_plugin_dirs, ElementsAre("/usr/lib/cni", "/opt/cni/bin"));
  }
}

TEST(DaemonConfigTest, ParsesEveryKey) {
  absl::StatusOr<DaemonConfig> c = Parse(R"({
    "data-root": "/srv/berth", "exec-root": "/run/b",
    "hosts": ["unix:///run/b/b.sock", "tcp://0.0.0.0:2376", "fd://"],
    "group": "docker", "tls": true, "tlsverify": true,
    "tlscacert": "/etc/b/ca.pem", "tlscert": "/etc/b/cert.pem", "tlskey": "/etc/b/key.pem",
    "debug": true, "log-level": "debug", "log-format": "json",
    "registry-mirrors": ["https://mirror.example"], "insecure-registries": ["127.0.0.1:5000"],
    "bip": "10.88.0.1/16", "fixed-cidr": "10.88.1.0/24", "mtu": 9000,
    "default-gateway": "10.88.0.254", "dns": ["1.1.1.1", "2606:4700:4700::1111"],
    "dns-search": ["example.com"], "dns-opts": ["ndots:2"],
    "log-driver": "none", "log-opts": {"max-size": "10m", "max-file": "3"},
    "live-restore": false, "init": true,
    "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 64000, "Soft": 1024},
                        "core": {"Name": "core", "Hard": -1, "Soft": -1}},
    "cgroup-parent": "/berth.slice", "storage-driver": "overlayfs",
    "metrics-addr": "127.0.0.1:9323", "services": ["images", "volumes"],
    "service-addresses": {"images": "unix:///run/berth/images.sock",
                          "runtime": "tcp://10.0.0.2:7000"},
    "cni-plugin-dirs": ["/opt/cni/bin"], "cni-config-dir": "/etc/cni/net.d"
  })");
  BERTH_ASSERT_OK(c);
  EXPECT_EQ(c->data_root, "/srv/berth");
  EXPECT_EQ(c->exec_root, "/run/b");
  EXPECT_THAT(c->hosts, ElementsAre("unix:///run/b/b.sock", "tcp://0.0.0.0:2376", "fd://"));
  EXPECT_EQ(c->group, "docker");
  EXPECT_TRUE(c->tls);
  EXPECT_TRUE(c->tlsverify);
  EXPECT_EQ(c->tlscacert, "/etc/b/ca.pem");
  EXPECT_EQ(c->tlscert, "/etc/b/cert.pem");
  EXPECT_EQ(c->tlskey, "/etc/b/key.pem");
  EXPECT_TRUE(c->debug);
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->log_format, "json");
  EXPECT_THAT(c->registry_mirrors, ElementsAre("https://mirror.example"));
  EXPECT_THAT(c->insecure_registries, ElementsAre("127.0.0.1:5000"));
  EXPECT_EQ(c->bip, "10.88.0.1/16");
  EXPECT_EQ(c->fixed_cidr, "10.88.1.0/24");
  EXPECT_EQ(c->mtu, 9000);
  EXPECT_EQ(c->default_gateway, "10.88.0.254");
  EXPECT_THAT(c->dns, ElementsAre("1.1.1.1", "2606:4700:4700::1111"));
  EXPECT_THAT(c->dns_search, ElementsAre("example.com"));
  EXPECT_THAT(c->dns_opts, ElementsAre("ndots:2"));
  EXPECT_EQ(c->log_driver, "none");
  EXPECT_THAT(c->log_opts, ElementsAre(Pair("max-file", "3"), Pair("max-size", "10m")));
  EXPECT_FALSE(c->live_restore);
  EXPECT_TRUE(c->init);
  ASSERT_EQ(c->default_ulimits.size(), 2u);
  EXPECT_EQ(c->default_ulimits["nofile"].name, "nofile");
  EXPECT_EQ(c->default_ulimits["nofile"].hard, 64000);
  EXPECT_EQ(c->default_ulimits["nofile"].soft, 1024);
  EXPECT_EQ(c->default_ulimits["core"].hard, -1);
  EXPECT_EQ(c->cgroup_parent, "/berth.slice");
  EXPECT_EQ(c->storage_driver, "overlayfs");
  EXPECT_EQ(c->metrics_addr, "127.0.0.1:9323");
  EXPECT_THAT(c->services, ElementsAre("images", "volumes"));
  EXPECT_THAT(c->service_addresses, ElementsAre(Pair("images", "unix:///run/berth/images.sock"),
                                                Pair("runtime", "tcp://10.0.0.2:7000")));
  EXPECT_THAT(c->cni_plugin_dirs, ElementsAre("/opt/cni/bin"));
  EXPECT_EQ(c->cni_config_dir, "/etc/cni/net.d");
}

TEST(DaemonConfigTest, UnknownKeyNamedWithSuggestion) {
  EXPECT_THAT(Parse(R"({"bipp": "10.0.0.1/24"})"),
              StatusIs(kInvalid, "daemon.json: unknown key \"bipp\"; did you mean \"bip\"?"));
  EXPECT_THAT(Parse(R"({"log_level": "info"})"),
              StatusIs(kInvalid, HasSubstr("did you mean \"log-level\"?")));
  EXPECT_THAT(Parse(R"({"experimental": true})"),
              StatusIs(kInvalid, "daemon.json: unknown key \"experimental\""));
  EXPECT_THAT(Parse(R"({"default-ulimits": {"nofile": {"Name": "nofile", "Max": 1}}})"),
              StatusIs(kInvalid, HasSubstr("\"default-ulimits.nofile.Max\"")));
}

TEST(DaemonConfigTest, WrongTypeNamesKeyAndType) {
  EXPECT_THAT(Parse(R"({"mtu": "1500"})"),
              StatusIs(kInvalid, "daemon.json: \"mtu\" must be an integer, got string"));
  EXPECT_THAT(Parse(R"({"mtu": 1500.5})"),
              StatusIs(kInvalid, HasSubstr("\"mtu\" must be an integer, got number")));
  EXPECT_THAT(Parse(R"({"live-restore": "yes"})"),
              StatusIs(kInvalid, HasSubstr("\"live-restore\" must be a boolean")));
  EXPECT_THAT(Parse(R"({"dns": "8.8.8.8"})"),
              StatusIs(kInvalid, HasSubstr("\"dns\" must be a list of strings, got string")));
  EXPECT_THAT(Parse(R"({"hosts": ["unix:///a", 5]})"),
              StatusIs(kInvalid, HasSubstr("\"hosts[1]\" must be a string, got number")));
  EXPECT_THAT(Parse(R"({"log-opts": {"max-file": 3}})"),
              StatusIs(kInvalid, HasSubstr("\"log-opts.max-file\" must be a string")));
  EXPECT_THAT(Parse(R"({"data-root": null})"),
              StatusIs(kInvalid, HasSubstr("\"data-root\" must be a string, got null")));
  EXPECT_THAT(Parse(R"({"default-ulimits": {"nofile": {"Name": "nofile", "Hard": "x"}}})"),
              StatusIs(kInvalid, HasSubstr("\"default-ulimits.nofile.Hard\" must be an integer")));
  EXPECT_THAT(Parse(R"({"mtu": 99999999999})"),
              StatusIs(kInvalid, HasSubstr("\"mtu\" is out of range")));
  EXPECT_THAT(Parse("[1]"), StatusIs(kInvalid, HasSubstr("must hold a JSON object, got array")));
}

TEST(DaemonConfigTest, MalformedJsonReportsPosition) {
  EXPECT_THAT(Parse("{\n  \"mtu\": 1500,\n  \"bip\" \"x\"\n}"),
              StatusIs(kInvalid, AllOf(HasSubstr("daemon.json: malformed JSON"),
                                       HasSubstr("line 3, column"))));
  EXPECT_THAT(Parse("{\"mtu\": 1500"), StatusIs(kInvalid, HasSubstr("malformed JSON")));
}

TEST(DaemonConfigTest, ValidationFailures) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"mtu": 67})", "\"mtu\" is 67; want 68..65535"},
      {R"({"mtu": 65536})", "\"mtu\" is 65536"},
      {R"({"bip": "10.0.0.1"})", "\"bip\" is \"10.0.0.1\""},
      {R"({"bip": "10.0.0.1/33"})", "\"bip\" is \"10.0.0.1/33\""},
      {R"({"fixed-cidr": "fd00::/64"})", "\"fixed-cidr\" is \"fd00::/64\""},
      {R"({"fixed-cidr": "10.0.0.0/"})", "\"fixed-cidr\""},
      {R"({"default-gateway": "gw"})", "\"default-gateway\""},
      {R"({"log-level": "verbose"})", "\"log-level\" is \"verbose\""},
      {R"({"log-format": "xml"})", "\"log-format\" is \"xml\""},
      {R"({"hosts": ["/run/berth.sock"]})", "\"hosts\" has \"/run/berth.sock\""},
      {R"({"hosts": ["unix://"]})", "\"hosts\" has \"unix://\""},
      {R"({"services": ["images", "builder"]})", "\"services\" has \"builder\""},
      {R"({"services": ["images", "images"]})", "\"services\" repeats \"images\""},
      {R"({"services": []})", "\"services\" must name at least one"},
      {R"({"service-addresses": {"cri": "unix:///x"}})", "\"service-addresses.cri\" is not"},
      {R"({"service-addresses": {"images": "fd://"}})", "\"service-addresses.images\" is"},
      {R"({"dns": ["dns.google"]})", "\"dns\" has \"dns.google\""},
      {R"({"data-root": "var/lib"})", "\"data-root\" must be absolute"},
      {R"({"tlsverify": true, "tlscert": "c", "tlskey": "k"})", "\"tlscacert\" is needed"},
      {R"({"tls": true, "tlscert": "c"})", "\"tlskey\" is needed"},
      {R"({"default-ulimits": {"nofiles": {"Name": "nofiles"}}})", "not a known ulimit"},
      {R"({"default-ulimits": {"nofile": {"Name": "nproc"}}})", "has Name \"nproc\""},
      {R"({"default-ulimits": {"nofile": {"Hard": 10, "Soft": 20}}})", "Soft 20 above Hard 10"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Parse(c.json),
                StatusIs(kInvalid, AllOf(HasSubstr("daemon.json: "), HasSubstr(c.message))))
        << c.json;
  }
}

class DaemonConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-config-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
};

TEST_F(DaemonConfigFileTest, MissingFileOptionalOrRequired) {
  std::string path = dir_ + "/daemon.json";
  absl::StatusOr<DaemonConfig> c = LoadDaemonConfig(path, /*must_exist=*/false);
  BERTH_ASSERT_OK(c);
  EXPECT_EQ(c->mtu, 1500);
  EXPECT_THAT(LoadDaemonConfig(path, /*must_exist=*/true),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

TEST_F(DaemonConfigFileTest, LoadsFileAndNamesItInErrors) {
  std::string path = dir_ + "/daemon.json";
  std::ofstream(path) << R"({"mtu": 1450, "registry-mirrors": ["https://m.example"]})";
  absl::StatusOr<DaemonConfig> c = LoadDaemonConfig(path, true);
  BERTH_ASSERT_OK(c);
  EXPECT_EQ(c->mtu, 1450);
  EXPECT_THAT(c->registry_mirrors, ElementsAre("https://m.example"));

  std::ofstream(path, std::ios::trunc) << R"({"bipp": "10.0.0.1/24"})";
  EXPECT_THAT(
      LoadDaemonConfig(path, false),
      StatusIs(kInvalid, absl::StrCat(path, ": unknown key \"bipp\"; did you mean \"bip\"?")));
  EXPECT_THAT(LoadDaemonConfig(dir_, false),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(dir_)));
}

TEST(DaemonConfigExampleTest, DeployedExampleIsValid) {
  absl::StatusOr<DaemonConfig> c =
      LoadDaemonConfig(std::string(BERTH_SOURCE_DIR) + "/deploy/daemon.json", true);
  BERTH_ASSERT_OK(c);
  EXPECT_EQ(c->metrics_addr, "127.0.0.1:9323");
}

}  // namespace
}  // namespace berth
