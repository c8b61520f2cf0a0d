// Containers on berth's networks end to end, through berthctl against a private berthd:
// user networks with name resolution and isolation, published ports reached from the
// host on 127.0.0.1, -P with `port`, container:<name>, none and host, Docker's name
// files, and ten networked containers through a kill -9 of berthd. Traffic goes only to
// 127.0.0.1 and to the containers the test made; every name carries a per-run prefix.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "tests/harness/berthd_process.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Trimmed(const std::string& text) {
  return std::string(absl::StripTrailingAsciiWhitespace(text));
}

bool LinkExists(const std::string& name) {
  return RunCommand({"/usr/sbin/ip", "link", "show", name}).exit_code == 0;
}

// The busybox web server of the tests: serves "hello from <name>" on port 80.
std::vector<std::string> WebServer(const std::string& name) {
  return {"sh", "-c",
          "mkdir -p /www && echo hello from " + name +
              " > /www/index.html && exec httpd -f -p 80 -h /www"};
}

class ContainerNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (::access("/usr/lib/cni/bridge", X_OK) != 0) GTEST_SKIP() << "no CNI plugins";
    prefix_ = absl::StrFormat("cn%x", ::getpid() & 0xfffff);
    octet_ = 16 + ::getpid() % 200;
    StartBerthd();
    RunResult load = berthd_->LoadBusybox(dir_);
    ASSERT_EQ(load.exit_code, 0) << load.err;
  }

  void TearDown() override {
    if (berthd_ == nullptr) return;
    berthd_->RemoveAllContainers();
    for (const std::string& network : networks_) Ctl({"network", "rm", network});
    berthd_.reset();
  }

  void StartBerthd() {
    auto berthd = BerthdProcess::Start(dir_, {});
    ASSERT_TRUE(berthd.ok()) << berthd.status();
    berthd_ = std::move(*berthd);
  }

  RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {BerthctlPath(), "-H", berthd_->address()});
    return RunCommand(args, {}, std::chrono::seconds(60));
  }

  // A user network of this run: "<prefix>-<name>" on bridge "<prefix><name>",
  // 10.<second>.<octet>.0/24.
  std::string MakeNetwork(const std::string& name, int second) {
    const std::string full = prefix_ + "-" + name;
    RunResult created =
        Ctl({"network", "create", "--subnet", absl::StrCat("10.", second, ".", octet_, ".0/24"),
             "--gateway", absl::StrCat("10.", second, ".", octet_, ".1"), "-o",
             "com.docker.network.bridge.name=" + prefix_ + name, full});
    EXPECT_EQ(created.exit_code, 0) << created.err;
    networks_.push_back(full);
    return full;
  }

  nlohmann::json Inspect(const std::string& name) {
    RunResult inspect = Ctl({"inspect", name});
    EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
    auto parsed = nlohmann::json::parse(inspect.out, nullptr, false);
    return parsed.is_array() && !parsed.empty() ? parsed[0] : nlohmann::json();
  }

  // Retries `command` in a fresh container until it succeeds (a server just started).
  RunResult RunUntilOk(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "--rm"});
    RunResult result;
    for (int i = 0; i < 20; ++i) {
      result = Ctl(args);
      if (result.exit_code == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return result;
  }

  std::string prefix_;
  int octet_ = 0;
  std::vector<std::string> networks_;
  TestDir dir_;
  std::unique_ptr<BerthdProcess> berthd_;
};

TEST_F(ContainerNetworkTest, UserNetworkResolvesNamesAndIsolatesOtherNetworks) {
  const std::string front = MakeNetwork("f", 231);
  const std::string back = MakeNetwork("b", 232);
  std::vector<std::string> web = {
      "run", "-d", "--name", "web", "--network", front, "--network-alias", "www", "busybox"};
  for (const std::string& word : WebServer("web")) web.push_back(word);
  ASSERT_EQ(Ctl(web).exit_code, 0);

  nlohmann::json settings = Inspect("web")["NetworkSettings"];
  const std::string ip = settings["Networks"][front]["IPAddress"];
  EXPECT_THAT(ip, ::testing::StartsWith(absl::StrCat("10.231.", octet_, ".")));
  EXPECT_EQ(settings["Networks"][front]["Gateway"], absl::StrCat("10.231.", octet_, ".1"));
  EXPECT_EQ(settings["Networks"][front]["IPPrefixLen"], 24);
  EXPECT_THAT(settings["SandboxKey"].get<std::string>(), HasSubstr("/netns/"));

  RunResult by_name = RunUntilOk({"--network", front, "busybox", "wget", "-qO-", "http://web/"});
  EXPECT_EQ(by_name.out, "hello from web\n") << by_name.err;
  RunResult by_alias =
      Ctl({"run", "--rm", "--network", front, "busybox", "wget", "-qO-", "http://www/"});
  EXPECT_EQ(by_alias.out, "hello from web\n") << by_alias.err;
  RunResult other = Ctl({"run", "--rm", "--network", back, "busybox", "wget", "-T", "2", "-qO-",
                         "http://" + ip + "/"});
  EXPECT_NE(other.exit_code, 0) << "reached across networks: " << other.out;
  // The default bridge has no name resolution (as Docker).
  RunResult bridge = Ctl({"run", "--rm", "busybox", "wget", "-T", "2", "-qO-", "http://web/"});
  EXPECT_NE(bridge.exit_code, 0);

  // A running container connects to a second network (reaching what is there) and
  // disconnects again.
  ASSERT_EQ(Ctl({"run", "-d", "--name", "other", "--network", back, "busybox", "sleep", "1000"})
                .exit_code,
            0);
  RunResult connect = Ctl({"network", "connect", "--alias", "both", front, "other"});
  ASSERT_EQ(connect.exit_code, 0) << connect.err;
  EXPECT_EQ(Inspect("other")["NetworkSettings"]["Networks"].size(), 2u);
  RunResult reached = Ctl({"exec", "other", "wget", "-qO-", "http://web/"});
  EXPECT_EQ(reached.out, "hello from web\n") << reached.err;
  // The connection is kept with the container: a restart attaches it again.
  ASSERT_EQ(Ctl({"restart", "-t", "1", "other"}).exit_code, 0);
  EXPECT_EQ(Inspect("other")["NetworkSettings"]["Networks"].size(), 2u);
  RunResult after_restart = Ctl({"exec", "other", "wget", "-qO-", "http://web/"});
  EXPECT_EQ(after_restart.out, "hello from web\n") << after_restart.err;
  RunResult again_connected = Ctl({"network", "connect", front, "other"});
  EXPECT_EQ(again_connected.exit_code, 1);
  EXPECT_THAT(again_connected.err, HasSubstr("already exists in network " + front));
  RunResult unknown = Ctl({"network", "connect", prefix_ + "-nosuch", "other"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("not found"));
  RunResult disconnect = Ctl({"network", "disconnect", front, "other"});
  ASSERT_EQ(disconnect.exit_code, 0) << disconnect.err;
  EXPECT_EQ(Inspect("other")["NetworkSettings"]["Networks"].size(), 1u);
  RunResult twice = Ctl({"network", "disconnect", front, "other"});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_THAT(twice.err, HasSubstr("is not connected to network"));
  ASSERT_EQ(Ctl({"restart", "-t", "1", "other"}).exit_code, 0);
  EXPECT_EQ(Inspect("other")["NetworkSettings"]["Networks"].size(), 1u);
  // A container not running yet is connected for its start.
  ASSERT_EQ(
      Ctl({"create", "--name", "later", "--network", back, "busybox", "sleep", "1000"}).exit_code,
      0);
  RunResult connect_created = Ctl({"network", "connect", front, "later"});
  ASSERT_EQ(connect_created.exit_code, 0) << connect_created.err;
  ASSERT_EQ(Ctl({"start", "later"}).exit_code, 0);
  RunResult later_reaches = Ctl({"exec", "later", "wget", "-qO-", "http://web/"});
  EXPECT_EQ(later_reaches.out, "hello from web\n") << later_reaches.err;

  // Stop frees the address; start attaches again.
  ASSERT_EQ(Ctl({"stop", "-t", "1", "web"}).exit_code, 0);
  EXPECT_TRUE(Inspect("web")["NetworkSettings"]["Networks"].empty());
  ASSERT_EQ(Ctl({"start", "web"}).exit_code, 0);
  RunResult again = RunUntilOk({"--network", front, "busybox", "wget", "-qO-", "http://web/"});
  EXPECT_EQ(again.out, "hello from web\n") << again.err;
}

TEST_F(ContainerNetworkTest, PublishedPortsAndSharedNamespaces) {
  const int port = FreeLoopbackPort();
  std::vector<std::string> web = {
      "run", "-d", "--name", "web", "-p", absl::StrCat("127.0.0.1:", port, ":80"), "busybox"};
  for (const std::string& word : WebServer("web")) web.push_back(word);
  ASSERT_EQ(Ctl(web).exit_code, 0);
  absl::StatusOr<std::string> got;
  for (int i = 0; i < 20; ++i) {
    got = HttpGet(absl::StrCat("http://127.0.0.1:", port, "/"));
    if (got.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "hello from web\n");
  EXPECT_EQ(Trimmed(Ctl({"port", "web"}).out), absl::StrCat("80/tcp -> 127.0.0.1:", port));
  EXPECT_THAT(Ctl({"ps"}).out, HasSubstr(absl::StrCat("127.0.0.1:", port, "->80/tcp")));
  // The page went out through web's eth0: stats counts it.
  RunResult net_io = Ctl({"stats", "--no-stream", "--format", "{{.NetIO}}", "web"});
  EXPECT_EQ(net_io.exit_code, 0) << net_io.err;
  EXPECT_THAT(net_io.out, Not(HasSubstr(" / 0B"))) << net_io.out;
  const std::string ip = Inspect("web")["NetworkSettings"]["IPAddress"];
  EXPECT_FALSE(ip.empty());

  // container:web shares web's address and loopback.
  RunResult joined = RunUntilOk({"--network", "container:web", "busybox", "sh", "-c",
                                 "wget -O - -q 127.0.0.1; ip -4 -o addr"});
  EXPECT_THAT(joined.out, HasSubstr("hello from web\n")) << joined.err;
  EXPECT_THAT(joined.out, HasSubstr(ip + "/"));

  // -P publishes the exposed port on a random host port, shown by `port`.
  ASSERT_EQ(
      Ctl({"run", "-d", "--name", "ssh", "-P", "--expose", "2222", "busybox", "sleep", "1000"})
          .exit_code,
      0);
  RunResult mapped = Ctl({"port", "ssh", "2222"});
  EXPECT_EQ(mapped.exit_code, 0) << mapped.err;
  EXPECT_THAT(mapped.out, ::testing::MatchesRegex("0\\.0\\.0\\.0:[0-9]+\n"));
  RunResult absent = Ctl({"port", "ssh", "80"});
  EXPECT_EQ(absent.exit_code, 1);
  EXPECT_THAT(absent.err, HasSubstr("No public port '80/tcp' published for ssh"));

  // A stopped container cannot be joined.
  ASSERT_EQ(Ctl({"create", "--name", "idle", "busybox", "true"}).exit_code, 0);
  RunResult refused = Ctl({"run", "--rm", "--network", "container:idle", "busybox", "true"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("non running container"));
}

// An `ls /sys/class/net` without the links that tests running alongside make and remove
// at any moment (their default bridges bt*, user networks' br-*, veths), so two listings
// taken a moment apart compare.
std::vector<std::string> LastingLinks(const std::string& listing) {
  std::vector<std::string> links;
  for (absl::string_view link : absl::StrSplit(listing, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(link, "veth") || absl::StartsWith(link, "bt") ||
        absl::StartsWith(link, "br-")) {
      continue;
    }
    links.emplace_back(link);
  }
  return links;
}

TEST_F(ContainerNetworkTest, NoneHostAndDockersNameFiles) {
  RunResult none = Ctl({"run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"});
  EXPECT_EQ(none.out, "lo\n") << none.err;
  RunResult host = Ctl({"run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net"});
  RunResult host_links = RunCommand({"/bin/ls", "/sys/class/net"});
  EXPECT_EQ(host.exit_code, 0) << host.err;
  EXPECT_EQ(LastingLinks(host.out), LastingLinks(host_links.out)) << host.out;

  RunResult files =
      Ctl({"run", "--rm", "-h", "t1.example.com", "--dns", "10.0.0.2", "--dns-search",
           "example.com", "--add-host", "www.example.com:1.1.1.1", "busybox", "sh", "-c",
           "cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; cat /etc/hostname"});
  ASSERT_EQ(files.exit_code, 0) << files.err;
  std::vector<std::string> parts = absl::StrSplit(files.out, "---\n");
  ASSERT_EQ(parts.size(), 3u) << files.out;
  EXPECT_EQ(parts[0], "search example.com\nnameserver 10.0.0.2\n");
  EXPECT_THAT(parts[1], ::testing::StartsWith("127.0.0.1\tlocalhost\n::1\tlocalhost "
                                              "ip6-localhost ip6-loopback\n"));
  EXPECT_THAT(parts[1], HasSubstr("1.1.1.1\twww.example.com\n"));
  EXPECT_THAT(parts[1], ::testing::MatchesRegex("(.|\n)*\n[0-9.]+\tt1\\.example\\.com t1\n"));
  EXPECT_EQ(parts[2], "t1.example.com\n");
}

// `--network cni:<name>` runs an operator's conflist from cni-config-dir (what the CRI
// adapter does for pods): addresses from its IPAM, ports through its portmap, inspect
// under the network's name, and nothing left after rm.
TEST_F(ContainerNetworkTest, ConflistOfTheCniConfigurationDirectory) {
  const std::string dir = berthd_->cni_config_dir();
  std::filesystem::create_directories(dir);
  const std::string bridge = prefix_ + "k";
  std::ofstream(dir + "/10-pods.conflist") << absl::StrFormat(
      R"({"cniVersion": "1.0.0", "name": "pods", "plugins": [
           {"type": "bridge", "bridge": "%s", "isGateway": true, "ipMasq": false,
            "ipam": {"type": "host-local", "dataDir": "%s/ipam",
                     "ranges": [[{"subnet": "10.219.%d.0/24"}]]}},
           {"type": "portmap", "capabilities": {"portMappings": true}}]})",
      bridge, dir, octet_);
  const int port = FreeLoopbackPort();
  ASSERT_GT(port, 0);
  std::vector<std::string> web = {
      "run",       "-d",   "--name", "pod",
      "--network", "cni:", "-p",     absl::StrCat("127.0.0.1:", port, ":80"),
      "busybox"};
  for (const std::string& arg : WebServer("pod")) web.push_back(arg);
  RunResult started = Ctl(web);
  ASSERT_EQ(started.exit_code, 0) << started.err;
  absl::StatusOr<std::string> page;
  for (int i = 0; i < 40; ++i) {
    page = HttpGet(absl::StrCat("http://127.0.0.1:", port, "/"));
    if (page.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(*page, HasSubstr("hello from pod"));
  const nlohmann::json networks = Inspect("pod")["NetworkSettings"]["Networks"];
  ASSERT_TRUE(networks.contains("cni:pods")) << networks.dump();
  const std::string address = networks["cni:pods"]["IPAddress"].get<std::string>();
  EXPECT_THAT(address, HasSubstr(absl::StrCat("10.219.", octet_, ".")));

  RunResult addr = Ctl({"run", "--rm", "--network", "cni:pods", "busybox", "ip", "-o", "-4", "addr",
                        "show", "eth0"});
  EXPECT_EQ(addr.exit_code, 0) << addr.err;
  EXPECT_THAT(addr.out, HasSubstr(absl::StrCat("10.219.", octet_, ".")));
  RunResult missing = Ctl({"run", "--rm", "--network", "cni:nosuch", "busybox", "true"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("no CNI network configuration named \"nosuch\""));

  ASSERT_EQ(Ctl({"rm", "-f", "pod"}).exit_code, 0);
  EXPECT_EQ(RunCommand({"/usr/sbin/ip", "-o", "link", "show", "master", bridge}).out, "");
  EXPECT_FALSE(std::filesystem::exists(dir + "/ipam/pods/" + address));
  RunCommand({"/usr/sbin/ip", "link", "delete", bridge});
}

TEST_F(ContainerNetworkTest, TenContainersKeepAddressesAndPortsThroughKill9) {
  std::map<std::string, std::pair<std::string, int>> before;  // name → (IP, host port)
  for (int i = 0; i < 10; ++i) {
    const std::string name = "n" + std::to_string(i);
    const int port = FreeLoopbackPort();
    std::vector<std::string> run = {
        "run", "-d", "--name", name, "-p", absl::StrCat("127.0.0.1:", port, ":80"), "busybox"};
    for (const std::string& word : WebServer(name)) run.push_back(word);
    ASSERT_EQ(Ctl(run).exit_code, 0);
    before[name] = {Inspect(name)["NetworkSettings"]["IPAddress"], port};
  }
  berthd_->Stop(SIGKILL);
  berthd_.reset();
  StartBerthd();
  for (const auto& [name, address] : before) {
    nlohmann::json settings = Inspect(name)["NetworkSettings"];
    EXPECT_EQ(settings["IPAddress"], address.first) << name;
    absl::StatusOr<std::string> got;
    for (int i = 0; i < 20; ++i) {
      got = HttpGet(absl::StrCat("http://127.0.0.1:", address.second, "/"));
      if (got.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    EXPECT_EQ(got.value_or(""), "hello from " + name + "\n") << name;
  }
  // Removed, they leave no veth on the bridge, no netns, no reservation, no NAT rule.
  for (const auto& [name, address] : before) ASSERT_EQ(Ctl({"rm", "-f", name}).exit_code, 0);
  const std::string bridge = berthd_->bridge();
  EXPECT_EQ(RunCommand({"/usr/sbin/ip", "-o", "link", "show", "master", bridge}).out, "");
  std::error_code error;
  const std::string netns_dir = dir_.path() + "/berthd/state/network/netns";
  for (const auto& e : std::filesystem::directory_iterator(netns_dir, error)) {
    ADD_FAILURE() << "netns left: " << e.path();
  }
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(berthd_->root() + "/network/ipam", error)) {
    for (const auto& [name, address] : before) {
      EXPECT_NE(e.path().filename().string(), address.first) << "reservation left";
    }
  }
  RunResult nat = RunCommand({"/usr/sbin/iptables", "-w", "5", "-t", "nat", "-S"});
  for (const auto& [name, address] : before) {
    EXPECT_THAT(nat.out, Not(HasSubstr(absl::StrCat("--dport ", address.second, " "))));
  }
  const std::string front = MakeNetwork("k", 233);
  ASSERT_EQ(Ctl({"network", "rm", front}).exit_code, 0);
  networks_.clear();
  EXPECT_FALSE(LinkExists(prefix_ + "k"));
}

}  // namespace
}  // namespace berth::testing
