// The network service through berthd: berthctl's network commands, and Endpoints over
// gRPC with netns-only endpoints (no containers): attach, survive a kill -9 of berthd,
// reconcile, and leave no bridge, iptables chain, netns or reservation behind. Names
// carry a per-run prefix; no traffic is sent anywhere.
#include <gmock/gmock.h>
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "berth/network/v1/network.grpc.pb.h"
#include "common/file_text.h"
#include "common/rpc/channel.h"
#include "common/rpc/namespace.h"
#include "common/status_matchers.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

bool LinkExists(const std::string& name) {
  return RunCommand({"/usr/sbin/ip", "link", "show", name}).exit_code == 0;
}

bool ChainExists(const std::string& chain) {
  return RunCommand({"/usr/sbin/iptables", "-w", "5", "-S", chain}).exit_code == 0;
}

class NetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (::access("/usr/lib/cni/bridge", X_OK) != 0) GTEST_SKIP() << "no CNI plugins";
    prefix_ = absl::StrFormat("bn%x", ::getpid() & 0xfffff);
    octet_ = 16 + ::getpid() % 200;
    StartBerthd();
  }

  void TearDown() override {
    berthd_.reset();
    for (const std::string& bridge : {prefix_ + "a", prefix_ + "b", prefix_ + "d"}) {
      RemoveBridgeNetworkRules(bridge);
    }
    std::error_code error;
    const std::string netns_dir = dir_.path() + "/berthd/state/network/netns";
    for (const auto& e : std::filesystem::directory_iterator(netns_dir, error)) {
      RunCommand({"/usr/bin/umount", "-l", e.path().string()});
    }
    RunCommand({"/usr/bin/umount", "-l", netns_dir});
  }

  void StartBerthd() {
    BerthdOptions options;
    options.daemon_json = {{"bridge", prefix_ + "d"},
                           {"bip", absl::StrCat("10.217.", octet_, ".1/24")}};
    auto berthd = BerthdProcess::Start(dir_, options);
    ASSERT_TRUE(berthd.ok()) << berthd.status();
    berthd_ = *std::move(berthd);
    auto channel = rpc::Dial(berthd_->address());
    ASSERT_TRUE(channel.ok());
    endpoints_ = network::v1::Endpoints::NewStub(*channel);
  }

  RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {BerthctlPath(), "-H", berthd_->address()});
    return RunCommand(args);
  }

  std::string prefix_;
  int octet_ = 0;
  TestDir dir_;
  std::unique_ptr<BerthdProcess> berthd_;
  std::unique_ptr<network::v1::Endpoints::Stub> endpoints_;
};

TEST_F(NetworkTest, BerthctlCreatesListsInspectsAndRemovesNetworks) {
  const std::string name = prefix_ + "-web";
  const std::string subnet = absl::StrCat("10.218.", octet_, ".0/24");
  RunResult created = Ctl({"network", "create", "--subnet", subnet, "--gateway",
                           absl::StrCat("10.218.", octet_, ".1"), "--label", "team=a", "-o",
                           "com.docker.network.bridge.name=" + prefix_ + "a", name});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string id = created.out.substr(0, created.out.find('\n'));
  EXPECT_EQ(id.size(), 64u);

  RunResult overlap = Ctl({"network", "create", "--subnet",
                           absl::StrCat("10.218.", octet_, ".128/25"), prefix_ + "-other"});
  EXPECT_EQ(overlap.exit_code, 1);
  EXPECT_THAT(overlap.err, HasSubstr("Pool overlaps with other one on this address space"));
  EXPECT_THAT(overlap.err, HasSubstr(name));

  RunResult listed = Ctl({"network", "ls"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("NETWORK ID     NAME"));
  for (const char* builtin : {"bridge", "host", "none"})
    EXPECT_THAT(listed.out, HasSubstr(builtin));
  RunResult custom = Ctl({"network", "ls", "--filter", "type=custom", "--format", "{{.Name}}"});
  EXPECT_EQ(custom.out, name + "\n");
  RunResult quiet = Ctl({"network", "ls", "-q", "--filter", "label=team=a"});
  EXPECT_EQ(quiet.out, id.substr(0, 12) + "\n");

  RunResult inspected = Ctl({"network", "inspect", name});
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  auto json = nlohmann::json::parse(inspected.out);
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["Id"], id);
  EXPECT_EQ(json[0]["Driver"], "bridge");
  EXPECT_EQ(json[0]["IPAM"]["Config"][0]["Subnet"], subnet);
  EXPECT_EQ(json[0]["Labels"]["team"], "a");
  EXPECT_EQ(json[0]["Options"]["com.docker.network.bridge.name"], prefix_ + "a");
  EXPECT_TRUE(ChainExists("BERTH-" + prefix_ + "a"));

  RunResult builtin = Ctl({"network", "rm", "bridge"});
  EXPECT_EQ(builtin.exit_code, 1);
  EXPECT_THAT(builtin.err, HasSubstr("bridge is a pre-defined network and cannot be removed"));

  RunResult removed = Ctl({"network", "rm", name});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(removed.out, name + "\n");
  EXPECT_FALSE(ChainExists("BERTH-" + prefix_ + "a"));

  ASSERT_EQ(Ctl({"network", "create", prefix_ + "-spare", "-o",
                 "com.docker.network.bridge.name=" + prefix_ + "b"})
                .exit_code,
            0);
  RunResult pruned = Ctl({"network", "prune", "-f"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_THAT(pruned.out, HasSubstr("Deleted Networks:\n" + prefix_ + "-spare\n"));
  EXPECT_EQ(Ctl({"network", "ls", "-q", "--filter", "type=custom"}).out, "");
}

TEST_F(NetworkTest, EndpointsSurviveAKilledBerthdAndReconcileCleansUp) {
  const std::string name = prefix_ + "-app";
  ASSERT_EQ(Ctl({"network", "create", "--subnet", absl::StrCat("10.219.", octet_, ".0/24"), "-o",
                 "com.docker.network.bridge.name=" + prefix_ + "a", name})
                .exit_code,
            0);
  const std::string container = absl::StrFormat("%s%060x", "feed", ::getpid());
  network::v1::AttachEndpointRequest request;
  request.set_container_id(container);
  request.set_container_name("app");
  request.set_create_netns(true);
  request.set_network(name);
  request.set_hostname("t1.example.com");
  request.add_dns("10.0.0.2");
  request.add_dns_search("example.com");
  request.add_extra_hosts("www.example.com:1.1.1.1");
  auto* port = request.add_port_mappings();
  port->set_host_ip("127.0.0.1");
  port->set_container_port(80);
  network::v1::AttachEndpointResponse attached;
  {
    grpc::ClientContext context;
    rpc::SetNamespace(context, "default");
    grpc::Status status = endpoints_->Attach(&context, request, &attached);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  const network::v1::Endpoint& endpoint = attached.endpoint();
  ASSERT_EQ(endpoint.interfaces_size(), 1);
  const std::string address = endpoint.interfaces(0).addresses(0);
  EXPECT_THAT(address, HasSubstr(absl::StrCat("10.219.", octet_, ".")));
  ASSERT_EQ(endpoint.port_bindings_size(), 1);
  EXPECT_GE(endpoint.port_bindings(0).host_port(), 1024u);
  EXPECT_EQ(*ReadFileText(endpoint.resolv_conf_path()),
            "search example.com\nnameserver 10.0.0.2\n");
  EXPECT_EQ(*ReadFileText(endpoint.hostname_path()), "t1.example.com\n");
  EXPECT_THAT(*ReadFileText(endpoint.hosts_path()),
              HasSubstr("ff02::2\tip6-allrouters\n1.1.1.1\twww.example.com\n" +
                        address.substr(0, address.find('/')) + "\tt1.example.com t1\n"));
  EXPECT_THAT(Ctl({"network", "inspect", "-f", "{{json .Containers}}", name}).out,
              HasSubstr(address));
  auto metrics_address = berthd_->MetricsAddress();
  BERTH_ASSERT_OK(metrics_address);
  auto metrics = HttpGet("http://" + *metrics_address + "/metrics");
  BERTH_ASSERT_OK(metrics);
  EXPECT_EQ(MetricValue(*metrics, "berth_network_endpoints"), 1);
  EXPECT_EQ(
      MetricValue(*metrics, "berth_network_ipam_addresses_in_use", {"network=\"" + name + "\""}),
      1);
  EXPECT_EQ(MetricValue(*metrics, "berth_network_endpoint_operation_duration_seconds_count",
                        {"operation=\"attach\"", "driver=\"bridge\""}),
            1);

  // --network container:<id> shares that container's netns and name files.
  {
    network::v1::AttachEndpointRequest join;
    join.set_container_id("joiner");
    join.set_network("container:" + container);
    network::v1::AttachEndpointResponse joined;
    grpc::ClientContext context;
    ASSERT_TRUE(endpoints_->Attach(&context, join, &joined).ok());
    EXPECT_EQ(joined.endpoint().netns_path(), endpoint.netns_path());
    EXPECT_EQ(joined.endpoint().hosts_path(), endpoint.hosts_path());
    join.set_network("container:no-such-container");
    grpc::ClientContext again;
    grpc::Status refused = endpoints_->Attach(&again, join, &joined);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(refused.error_message(), HasSubstr("non running container"));
  }

  // kill -9 and a restart keep the endpoint, its address and its port.
  EXPECT_EQ(berthd_->Stop(9), 128 + 9);
  berthd_.reset();
  StartBerthd();
  network::v1::ListEndpointsResponse listed;
  {
    grpc::ClientContext context;
    network::v1::ListEndpointsRequest list;
    list.set_container_id(container);
    ASSERT_TRUE(endpoints_->List(&context, list, &listed).ok());
  }
  ASSERT_EQ(listed.endpoints_size(), 1);
  EXPECT_EQ(listed.endpoints(0).interfaces(0).addresses(0), address);
  EXPECT_EQ(listed.endpoints(0).port_bindings(0).host_port(),
            endpoint.port_bindings(0).host_port());
  EXPECT_TRUE(std::filesystem::exists(endpoint.netns_path()));

  // The container is gone: reconcile undoes everything.
  network::v1::ReconcileEndpointsResponse reconciled;
  {
    grpc::ClientContext context;
    network::v1::ReconcileEndpointsRequest reconcile;
    ASSERT_TRUE(endpoints_->Reconcile(&context, reconcile, &reconciled).ok());
  }
  ASSERT_EQ(reconciled.removed_size(), 1);
  EXPECT_FALSE(std::filesystem::exists(endpoint.netns_path()));
  EXPECT_FALSE(std::filesystem::exists(endpoint.hosts_path()));
  RunResult removed = Ctl({"network", "rm", name});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_FALSE(LinkExists(prefix_ + "a"));
  EXPECT_FALSE(ChainExists("BERTH-" + prefix_ + "a"));
  EXPECT_THAT(RunCommand({"/usr/sbin/iptables", "-w", "5", "-t", "nat", "-S"}).out,
              Not(HasSubstr(container.substr(0, 12))));
  std::error_code error;
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(berthd_->root() + "/network/ipam", error)) {
    EXPECT_THAT(e.path().filename().string(), Not(HasSubstr(absl::StrCat("10.219.", octet_))));
  }
}

}  // namespace
}  // namespace berth::testing
