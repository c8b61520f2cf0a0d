// EndpointRegistry against the real CNI plugins, iptables and the kernel (needs root):
// two user networks, netns-only endpoints, reachability inside a network and not across,
// a published port on 127.0.0.1, and nothing left behind. Traffic goes only to
// 127.0.0.1 and to namespaces this test created; every name carries a per-run prefix.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/file_text.h"
#include "common/status_matchers.h"
#include "common/unique_fd.h"
#include "services/network/core/endpoint_registry.h"
#include "services/network/core/network_namespace.h"
#include "tests/harness/subprocess.h"

namespace berth::network {
namespace {

using ::berth::testing::RunCommand;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBusybox[] = "/bin/busybox";

std::string AddressOf(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

bool LinkExists(const std::string& name) {
  return RunCommand({"/usr/sbin/ip", "link", "show", name}).exit_code == 0;
}

bool Ping(const std::string& netns, const std::string& ip) {
  return RunCommand({"/usr/bin/nsenter", "--net=" + netns, kBusybox, "ping", "-c1", "-W1", ip})
             .exit_code == 0;
}

// A free TCP port on 127.0.0.1 right now.
uint16_t FreeLoopbackPort() {
  UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

// What a TCP connection to 127.0.0.1:port reads until EOF; "" on failure.
std::string ReadFromLoopback(uint16_t port) {
  UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{3, 0};
  ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return "";
  std::string text;
  char buffer[256];
  ssize_t n;
  while ((n = ::read(sock.get(), buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  return text;
}

class EndpointRegistryCniTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (::access("/usr/lib/cni/bridge", X_OK) != 0) GTEST_SKIP() << "no CNI plugins";
    prefix_ = absl::StrFormat("bt%x", ::getpid() & 0xfffff);
    char tmpl[] = "/tmp/berth-net-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/root");
    auto store = NetworkStore::Open(dir_ + "/root/network.db");
    BERTH_ASSERT_OK(store);
    store_ = *std::move(store);
    NetworkCatalogOptions catalog_options;
    catalog_options.root_dir = dir_ + "/root";
    catalog_options.default_bridge = prefix_ + "d";
    // Private third octets from the PID keep parallel runs apart.
    octet_ = 16 + ::getpid() % 200;
    catalog_options.default_subnet = absl::StrCat("10.213.", octet_, ".0/24");
    catalog_options.cni_config_dir = dir_ + "/net.d";
    catalog_ = std::make_unique<NetworkCatalog>(store_.get(), &isolation_, catalog_options);
    cni_ = std::make_unique<CniRunner>(std::vector<std::string>{"/usr/lib/cni"});
    EndpointRegistryOptions options;
    options.state_dir = dir_ + "/state";
    endpoints_ = std::make_unique<EndpointRegistry>(store_.get(), catalog_.get(), cni_.get(),
                                                    &isolation_, options);
  }

  void TearDown() override {
    if (dir_.empty()) return;
    // Whatever the test left, even after a failed assertion.
    if (endpoints_) endpoints_->Reconcile("default", {}).IgnoreError();
    if (catalog_) {
      if (auto bridge = catalog_->Resolve("default", "bridge"); bridge.ok()) {
        created_.push_back(*bridge);
      }
    }
    for (const NetworkRecord& n : created_) {
      isolation_.Remove(n).IgnoreError();
      RunCommand({"/usr/sbin/ip", "link", "delete", n.bridge});
    }
    for (const char* suffix : {"c", "p"}) {  // the conf-dir networks' bridges
      RunCommand({"/usr/sbin/ip", "link", "delete", prefix_ + suffix});
    }
    std::error_code error;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/state/netns", error)) {
      RemoveNetworkNamespace(e.path().string()).IgnoreError();
    }
    ::umount2((dir_ + "/state/netns").c_str(), MNT_DETACH);
    std::filesystem::remove_all(dir_, error);
  }

  NetworkRecord CreateNetwork(const std::string& suffix, const std::string& subnet,
                              bool internal = false) {
    NetworkSpec spec;
    spec.name = prefix_ + "-" + suffix;
    spec.subnet = subnet;
    spec.internal = internal;
    spec.options[kBridgeNameOption] = prefix_ + suffix;
    auto created = catalog_->Create("default", spec);
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return {};
    created_.push_back(*created);
    return *created;
  }

  EndpointRecord Attach(const std::string& container, const NetworkRecord& network,
                        std::vector<PortRequest> ports = {}) {
    AttachSpec spec;
    spec.container_id = container;
    spec.container_name = container.substr(0, 8);
    spec.network = network.name;
    spec.ports = std::move(ports);
    auto attached = endpoints_->Attach("default", spec);
    EXPECT_TRUE(attached.ok()) << attached.status();
    return attached.ok() ? attached->first : EndpointRecord{};
  }

  std::string ContainerId(int n) { return absl::StrFormat("%s%058x", prefix_, n); }

  std::string prefix_;
  std::string dir_;
  int octet_ = 0;
  BridgeIsolation isolation_;
  std::unique_ptr<NetworkStore> store_;
  std::unique_ptr<NetworkCatalog> catalog_;
  std::unique_ptr<CniRunner> cni_;
  std::unique_ptr<EndpointRegistry> endpoints_;
  std::vector<NetworkRecord> created_;
};

TEST_F(EndpointRegistryCniTest, UserNetworksConnectInsideIsolateAcrossPublishAndCleanUp) {
  NetworkRecord front = CreateNetwork("a", absl::StrCat("10.211.", octet_, ".0/24"));
  NetworkRecord back = CreateNetwork("b", absl::StrCat("10.212.", octet_, ".0/24"));
  ASSERT_FALSE(front.id.empty());
  ASSERT_FALSE(back.id.empty());

  const uint16_t host_port = FreeLoopbackPort();
  PortRequest publish;
  publish.host_ip = "127.0.0.1";
  publish.host_port = host_port;
  publish.container_port = 8080;
  EndpointRecord web = Attach(ContainerId(1), front, {publish});
  EndpointRecord client = Attach(ContainerId(2), front);
  EndpointRecord outsider = Attach(ContainerId(3), back);
  ASSERT_FALSE(web.ipv4.empty());
  ASSERT_FALSE(client.ipv4.empty());
  ASSERT_FALSE(outsider.ipv4.empty());

  EXPECT_THAT(web.ipv4, HasSubstr(absl::StrCat("10.211.", octet_, ".")));
  EXPECT_THAT(client.ipv4, HasSubstr(absl::StrCat("10.211.", octet_, ".")));
  EXPECT_THAT(outsider.ipv4, HasSubstr(absl::StrCat("10.212.", octet_, ".")));
  EXPECT_EQ(web.gateway, absl::StrCat("10.211.", octet_, ".1"));
  EXPECT_FALSE(web.mac.empty());
  EXPECT_TRUE(IsNetworkNamespaceMount(web.netns_path));

  EXPECT_TRUE(Ping(client.netns_path, AddressOf(web.ipv4)));
  EXPECT_FALSE(Ping(outsider.netns_path, AddressOf(web.ipv4)));
  EXPECT_FALSE(Ping(web.netns_path, AddressOf(outsider.ipv4)));
  // It is berth's chains that keep them apart: without them the host routes between.
  BERTH_ASSERT_OK(isolation_.Remove(front));
  BERTH_ASSERT_OK(isolation_.Remove(back));
  EXPECT_TRUE(Ping(outsider.netns_path, AddressOf(web.ipv4)));
  BERTH_ASSERT_OK(isolation_.Install(front));
  BERTH_ASSERT_OK(isolation_.Install(back));
  EXPECT_FALSE(Ping(outsider.netns_path, AddressOf(web.ipv4)));

  // Names: the client's /etc/hosts lists web by its container name.
  auto sandbox = endpoints_->Sandbox(ContainerId(2));
  BERTH_ASSERT_OK(sandbox);
  ASSERT_TRUE(sandbox->has_value());
  auto hosts = ReadFileText((*sandbox)->hosts_path);
  BERTH_ASSERT_OK(hosts);
  EXPECT_THAT(*hosts,
              HasSubstr(absl::StrCat(AddressOf(web.ipv4), "\t", ContainerId(1).substr(0, 8))));
  EXPECT_THAT(*hosts, Not(HasSubstr(AddressOf(outsider.ipv4))));

  // The published port answers on 127.0.0.1 from the host itself.
  pid_t server =
      berth::testing::Spawn({"/usr/bin/nsenter", "--net=" + web.netns_path, kBusybox, "sh", "-c",
                             "echo hello-from-web | /bin/busybox nc -l -p 8080"},
                            dir_ + "/nc.log");
  std::string answer;
  for (int i = 0; i < 50 && answer.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    answer = ReadFromLoopback(host_port);
  }
  berth::testing::StopProcess(server, SIGKILL);
  EXPECT_THAT(answer, HasSubstr("hello-from-web"));
  auto ports = endpoints_->Ports(ContainerId(1), 0, "");
  BERTH_ASSERT_OK(ports);
  ASSERT_EQ(ports->size(), 1u);
  EXPECT_EQ((*ports)[0].host_port, host_port);

  // A network with endpoints cannot go.
  EXPECT_FALSE(catalog_->Delete("default", front.name).ok());

  for (int i = 1; i <= 3; ++i) BERTH_EXPECT_OK(endpoints_->Detach("default", ContainerId(i), ""));
  for (const EndpointRecord& e : {web, client, outsider}) {
    EXPECT_FALSE(std::filesystem::exists(e.netns_path)) << e.netns_path;
  }
  EXPECT_EQ(RunCommand({"/usr/sbin/ip", "-o", "link", "show", "master", front.bridge}).out, "");
  for (const NetworkRecord& n : {front, back}) {
    BERTH_EXPECT_OK(catalog_->Delete("default", n.name));
    EXPECT_FALSE(LinkExists(n.bridge)) << n.bridge;
    EXPECT_NE(RunCommand({"/usr/sbin/iptables", "-w", "5", "-S", BridgeIsolation::ChainName(n)})
                  .exit_code,
              0);
    EXPECT_FALSE(
        std::filesystem::exists(catalog_->IpamDataDir() + "/" + "berth-" + n.id.substr(0, 12)));
    EXPECT_FALSE(std::filesystem::exists(catalog_->ConflistPath(n)));
  }
  EXPECT_THAT(RunCommand({"/usr/sbin/iptables", "-w", "5", "-S", "BERTH-ISOLATION"}).out,
              Not(HasSubstr(front.bridge)));
}

TEST_F(EndpointRegistryCniTest, ReconcileDetachesTheDeadAndKeepsTheLiving) {
  NetworkRecord net = CreateNetwork("r", absl::StrCat("10.214.", octet_, ".0/24"));
  ASSERT_FALSE(net.id.empty());
  EndpointRecord alive = Attach(ContainerId(1), net);
  EndpointRecord dead = Attach(ContainerId(2), net);
  ASSERT_FALSE(dead.ipv4.empty());
  // A netns nothing refers to, as a crash between create and store leaves.
  auto orphan = NetworkNamespace::Create(dir_ + "/state/netns", "orphan");
  BERTH_ASSERT_OK(orphan);
  std::string orphan_path = orphan->Release();

  auto removed = endpoints_->Reconcile("default", {ContainerId(1)});
  BERTH_ASSERT_OK(removed);
  ASSERT_EQ(removed->size(), 1u);
  EXPECT_EQ((*removed)[0].container_id, ContainerId(2));
  EXPECT_FALSE(std::filesystem::exists(dead.netns_path));
  EXPECT_FALSE(std::filesystem::exists(orphan_path));
  EXPECT_TRUE(IsNetworkNamespaceMount(alive.netns_path));
  auto left = endpoints_->List("default", "", "");
  BERTH_ASSERT_OK(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].ipv4, alive.ipv4);
  // The dead container's address is free again: host-local has no file for it.
  EXPECT_FALSE(std::filesystem::exists(catalog_->IpamDataDir() + "/berth-" + net.id.substr(0, 12) +
                                       "/" + AddressOf(dead.ipv4)));
  BERTH_EXPECT_OK(endpoints_->Detach("default", ContainerId(1), ""));
}

TEST_F(EndpointRegistryCniTest, StaticAddressMacAliasesAndPublishAll) {
  NetworkRecord net = CreateNetwork("s", absl::StrCat("10.216.", octet_, ".0/24"));
  ASSERT_FALSE(net.id.empty());
  AttachSpec spec;
  spec.container_id = ContainerId(1);
  spec.container_name = "db";
  spec.network = net.name;
  spec.ipv4 = absl::StrCat("10.216.", octet_, ".77");
  spec.mac = "02:42:0a:d8:00:4d";
  spec.aliases = {"database"};
  spec.publish_all = true;
  spec.exposed = {"2222/tcp"};
  auto db = endpoints_->Attach("default", spec);
  BERTH_ASSERT_OK(db);
  EXPECT_EQ(db->first.ipv4, absl::StrCat("10.216.", octet_, ".77/24"));
  EXPECT_EQ(db->first.mac, "02:42:0a:d8:00:4d");
  ASSERT_EQ(db->first.ports.size(), 1u);
  const uint16_t published = db->first.ports[0].host_port;
  auto [low, high] = EphemeralPortRange();
  EXPECT_GE(published, low);
  EXPECT_LE(published, high);

  // A second container finds the first by name and alias; the same address is refused.
  EndpointRecord app = Attach(ContainerId(2), net);
  auto sandbox = endpoints_->Sandbox(ContainerId(2));
  BERTH_ASSERT_OK(sandbox);
  EXPECT_THAT(*ReadFileText((*sandbox)->hosts_path),
              HasSubstr(absl::StrCat("10.216.", octet_, ".77\tdb database\n")));
  // The first container's file was rewritten in place with the newcomer.
  auto db_hosts = ReadFileText(db->second.hosts_path);
  EXPECT_THAT(*db_hosts, HasSubstr(AddressOf(app.ipv4) + "\t" + ContainerId(2).substr(0, 8)));
  AttachSpec clash = spec;
  clash.container_id = ContainerId(3);
  clash.publish_all = false;
  clash.mac.clear();
  EXPECT_FALSE(endpoints_->Attach("default", clash).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/state/netns/" + ContainerId(3)));
  // A host port berth already publishes is refused.
  AttachSpec taken;
  taken.container_id = ContainerId(4);
  taken.network = net.name;
  PortRequest same;
  same.host_port = published;
  same.container_port = 80;
  taken.ports = {same};
  auto refused = endpoints_->Attach("default", taken);
  EXPECT_THAT(refused.status().message(), HasSubstr("port is already allocated"));

  // Published on every address: reachable on 127.0.0.1 from the host.
  pid_t server =
      berth::testing::Spawn({"/usr/bin/nsenter", "--net=" + db->first.netns_path, kBusybox, "sh",
                             "-c", "echo hello-from-db | /bin/busybox nc -l -p 2222"},
                            dir_ + "/nc-db.log");
  std::string answer;
  for (int i = 0; i < 50 && answer.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    answer = ReadFromLoopback(published);
  }
  berth::testing::StopProcess(server, SIGKILL);
  EXPECT_THAT(answer, HasSubstr("hello-from-db"));

  BERTH_EXPECT_OK(endpoints_->Detach("default", ContainerId(1), ""));
  EXPECT_THAT(*ReadFileText((*sandbox)->hosts_path), Not(HasSubstr("database")));
  BERTH_EXPECT_OK(endpoints_->Detach("default", ContainerId(2), ""));
  BERTH_EXPECT_OK(catalog_->Delete("default", net.name));
}

TEST_F(EndpointRegistryCniTest, OneNetnsOnTwoNetworksDetachesOneAtATime) {
  NetworkRecord a = CreateNetwork("m", absl::StrCat("10.221.", octet_, ".0/24"));
  NetworkRecord b = CreateNetwork("n", absl::StrCat("10.222.", octet_, ".0/24"));
  EndpointRecord first = Attach(ContainerId(1), a);
  EndpointRecord second = Attach(ContainerId(1), b);
  EXPECT_EQ(first.interface, "eth0");
  EXPECT_EQ(second.interface, "eth1");
  EXPECT_EQ(first.netns_path, second.netns_path);
  auto links = [&] {
    return RunCommand(
               {"/usr/bin/nsenter", "--net=" + first.netns_path, "/usr/sbin/ip", "-o", "link"})
        .out;
  };
  EXPECT_THAT(links(), HasSubstr("eth1@"));
  BERTH_ASSERT_OK(endpoints_->Detach("default", ContainerId(1), a.name));
  EXPECT_TRUE(IsNetworkNamespaceMount(first.netns_path));
  EXPECT_THAT(links(), Not(HasSubstr("eth0@")));
  EXPECT_THAT(endpoints_->Detach("default", ContainerId(1), a.name),
              berth::testing::StatusIs(absl::StatusCode::kNotFound));
  EndpointRecord again = Attach(ContainerId(1), a);
  EXPECT_EQ(again.interface, "eth0");
  BERTH_EXPECT_OK(endpoints_->Detach("default", ContainerId(1), ""));
  EXPECT_FALSE(std::filesystem::exists(first.netns_path));
  BERTH_EXPECT_OK(catalog_->Delete("default", a.name));
  BERTH_EXPECT_OK(catalog_->Delete("default", b.name));
}

TEST_F(EndpointRegistryCniTest, RefusesIdsAndNamesThatWouldEscapeTheirFiles) {
  AttachSpec spec;
  spec.container_id = "../../etc";
  spec.network = "none";
  EXPECT_THAT(endpoints_->Attach("default", spec).status(),
              berth::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  spec.container_id = ContainerId(1);
  spec.hostname = "web\n1.2.3.4 bank.example.com";
  EXPECT_THAT(endpoints_->Attach("default", spec).status(),
              berth::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  spec.hostname.clear();
  spec.dns.search = {"a.example b.example"};
  EXPECT_FALSE(endpoints_->Attach("default", spec).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/state/netns/" + ContainerId(1)));
}

TEST_F(EndpointRegistryCniTest, NoneHasOnlyLoopbackAndInternalHasNoDefaultRoute) {
  auto none = catalog_->Resolve("default", "none");
  BERTH_ASSERT_OK(none);
  EndpointRecord isolated = Attach(ContainerId(1), *none);
  auto links = RunCommand(
      {"/usr/bin/nsenter", "--net=" + isolated.netns_path, "/usr/sbin/ip", "-o", "link"});
  EXPECT_THAT(links.out, HasSubstr("lo:"));
  EXPECT_THAT(links.out, Not(HasSubstr("eth0")));

  NetworkRecord internal = CreateNetwork("i", absl::StrCat("10.215.", octet_, ".0/24"), true);
  EndpointRecord inside = Attach(ContainerId(2), internal);
  auto routes = RunCommand(
      {"/usr/bin/nsenter", "--net=" + inside.netns_path, "/usr/sbin/ip", "route", "show"});
  EXPECT_THAT(routes.out, Not(HasSubstr("default")));
  EXPECT_THAT(routes.out, HasSubstr(absl::StrCat("10.215.", octet_, ".0/24")));
  BERTH_EXPECT_OK(endpoints_->Detach("default", ContainerId(1), ""));
  BERTH_EXPECT_OK(endpoints_->Detach("default", ContainerId(2), ""));
  BERTH_EXPECT_OK(catalog_->Delete("default", internal.name));
}

// An operator's conflist in the CNI configuration directory, as the CRI adapter runs
// it: "cni:" picks the directory's first file; the plugins' results become endpoints;
// ports need a plugin with the portMappings capability; DEL undoes everything; removing
// the network's record leaves the operator's file alone.
TEST_F(EndpointRegistryCniTest, RunsConflistsOfTheCniConfigurationDirectory) {
  std::filesystem::create_directories(dir_ + "/net.d");
  auto bridge = [&](const std::string& suffix, int first_octet) {
    return absl::StrFormat(
        R"({"type": "bridge", "bridge": "%s%s", "isGateway": true, "ipMasq": false,
            "ipam": {"type": "host-local", "dataDir": "%s/pod-ipam",
                     "ranges": [[{"subnet": "10.%d.%d.0/24"}]]}})",
        prefix_, suffix, dir_, first_octet, octet_);
  };
  WriteFileAtomically(dir_ + "/net.d/10-pods.conflist",
                      absl::StrCat(R"({"cniVersion": "1.0.0", "name": "pods", "plugins": [)",
                                   bridge("c", 217), R"(, {"type": "portmap", "capabilities":
                                   {"portMappings": true}}]})"),
                      0644)
      .IgnoreError();
  WriteFileAtomically(
      dir_ + "/net.d/20-plain.conf",
      absl::StrCat(R"({"cniVersion": "1.0.0", "name": "plain", )", bridge("p", 218).substr(1)),
      0644)
      .IgnoreError();

  const uint16_t host_port = FreeLoopbackPort();
  AttachSpec spec;
  spec.container_id = ContainerId(1);
  spec.container_name = "pod1";
  spec.network = "cni:";
  PortRequest publish;
  publish.host_ip = "127.0.0.1";
  publish.host_port = host_port;
  publish.container_port = 8080;
  spec.ports = {publish};
  auto pod1 = endpoints_->Attach("default", spec);
  BERTH_ASSERT_OK(pod1);
  EXPECT_EQ(pod1->first.network_name, "cni:pods");
  EXPECT_EQ(pod1->first.interface, "eth0");
  EXPECT_THAT(pod1->first.ipv4, HasSubstr(absl::StrCat("10.217.", octet_, ".")));
  EXPECT_FALSE(pod1->first.mac.empty());

  // The same network by name; a .conf file's network too, on a second interface.
  AttachSpec second;
  second.container_id = ContainerId(2);
  second.network = "cni:pods";
  auto pod2 = endpoints_->Attach("default", second);
  BERTH_ASSERT_OK(pod2);
  EXPECT_TRUE(Ping(pod2->first.netns_path, AddressOf(pod1->first.ipv4)));
  second.network = "cni:plain";
  auto plain = endpoints_->Attach("default", second);
  BERTH_ASSERT_OK(plain);
  EXPECT_EQ(plain->first.interface, "eth1");

  // The conf-dir networks show as records of driver cni naming their file.
  auto network = catalog_->Resolve("default", "cni:pods");
  BERTH_ASSERT_OK(network);
  EXPECT_EQ(network->driver, kDriverCni);
  EXPECT_EQ(network->options.at(kCniFileOption), dir_ + "/net.d/10-pods.conflist");

  pid_t server =
      berth::testing::Spawn({"/usr/bin/nsenter", "--net=" + pod1->first.netns_path, kBusybox, "sh",
                             "-c", "echo hello-from-pod | /bin/busybox nc -l -p 8080"},
                            dir_ + "/nc-pod.log");
  std::string answer;
  for (int i = 0; i < 50 && answer.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    answer = ReadFromLoopback(host_port);
  }
  berth::testing::StopProcess(server, SIGKILL);
  EXPECT_THAT(answer, HasSubstr("hello-from-pod"));

  // A network without portmap cannot publish, and the refusal leaves nothing behind.
  AttachSpec unpublishable;
  unpublishable.container_id = ContainerId(3);
  unpublishable.network = "cni:plain";
  unpublishable.ports = {publish};
  EXPECT_THAT(endpoints_->Attach("default", unpublishable).status(),
              berth::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("portMappings capability")));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/state/netns/" + ContainerId(3)));
  unpublishable.network = "cni:nosuch";
  EXPECT_THAT(endpoints_->Attach("default", unpublishable).status(),
              berth::testing::StatusIs(absl::StatusCode::kNotFound, HasSubstr("net.d")));

  BERTH_EXPECT_OK(endpoints_->Detach("default", ContainerId(1), ""));
  BERTH_EXPECT_OK(endpoints_->Detach("default", ContainerId(2), ""));
  EXPECT_FALSE(std::filesystem::exists(pod1->first.netns_path));
  // host-local released both addresses; portmap removed its DNAT chain for the pod.
  std::error_code error;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/pod-ipam/pods", error)) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name == "lock" || absl::StartsWith(name, "last_reserved_ip")) << e.path();
  }
  EXPECT_THAT(RunCommand({"/usr/sbin/iptables", "-w", "5", "-t", "nat", "-S"}).out,
              Not(HasSubstr(absl::StrCat("--dport ", host_port, " "))));
  BERTH_EXPECT_OK(catalog_->Delete("default", "cni:pods"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/net.d/10-pods.conflist"));
}

}  // namespace
}  // namespace berth::network
