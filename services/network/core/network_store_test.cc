#include "services/network/core/network_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/status_matchers.h"

namespace berth::network {
namespace {

using ::berth::testing::StatusIs;

class NetworkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/network-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    std::remove(path_.c_str());
    auto store = NetworkStore::Open(path_);
    BERTH_ASSERT_OK(store);
    store_ = *std::move(store);
  }
  void TearDown() override {
    store_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }

  static NetworkRecord Network(const std::string& id, const std::string& ns,
                               const std::string& name) {
    NetworkRecord n;
    n.id = id;
    n.ns = ns;
    n.name = name;
    n.subnet = "172.30.0.0/24";
    n.gateway = "172.30.0.1";
    n.bridge = "br-" + id.substr(0, 12);
    n.labels = {{"team", "a"}};
    n.options = {{kBridgeNameOption, n.bridge}};
    n.created = absl::FromUnixSeconds(1700000000);
    return n;
  }

  std::string path_;
  std::unique_ptr<NetworkStore> store_;
};

TEST_F(NetworkStoreTest, NetworksRoundTripAndNamesAreUniquePerNamespace) {
  BERTH_ASSERT_OK(store_->InsertNetwork(Network(std::string(64, 'a'), "default", "web")));
  BERTH_ASSERT_OK(store_->InsertNetwork(Network(std::string(64, 'b'), "k8s.io", "web")));
  EXPECT_THAT(store_->InsertNetwork(Network(std::string(64, 'c'), "default", "web")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  auto defaults = store_->ListNetworks("default");
  BERTH_ASSERT_OK(defaults);
  ASSERT_EQ(defaults->size(), 1u);
  const NetworkRecord& n = (*defaults)[0];
  EXPECT_EQ(n.subnet, "172.30.0.0/24");
  EXPECT_EQ(n.labels.at("team"), "a");
  EXPECT_EQ(n.options.at(kBridgeNameOption), "br-aaaaaaaaaaaa");
  EXPECT_EQ(n.created, absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(store_->ListNetworks(std::nullopt)->size(), 2u);
  BERTH_ASSERT_OK(store_->DeleteNetwork(std::string(64, 'a')));
  EXPECT_TRUE(store_->ListNetworks("default")->empty());
}

TEST_F(NetworkStoreTest, EndpointsAndSandboxesSurviveReopening) {
  BERTH_ASSERT_OK(store_->InsertNetwork(Network(std::string(64, 'a'), "default", "web")));
  EndpointRecord e;
  e.id = std::string(64, 'e');
  e.ns = "default";
  e.container_id = "c1";
  e.network_id = std::string(64, 'a');
  e.network_name = "web";
  e.netns_path = "/run/berth/network/netns/c1";
  e.interface = "eth0";
  e.ipv4 = "172.30.0.2/24";
  e.aliases = {"db"};
  e.ports = {PortBinding{"127.0.0.1", 8080, 80, "tcp"}};
  e.cni_config = R"({"name":"berth-web"})";
  e.cni_result = R"({"cniVersion":"1.0.0"})";
  BERTH_ASSERT_OK(store_->InsertEndpoint(e));
  SandboxRecord s;
  s.container_id = "c1";
  s.ns = "default";
  s.name = "app";
  s.netns_path = e.netns_path;
  s.owns_netns = true;
  s.extra_hosts = {"www.example.com:1.1.1.1"};
  BERTH_ASSERT_OK(store_->PutSandbox(s));

  store_.reset();
  auto reopened = NetworkStore::Open(path_);
  BERTH_ASSERT_OK(reopened);
  auto endpoints = (*reopened)->ListEndpoints("c1", "");
  BERTH_ASSERT_OK(endpoints);
  ASSERT_EQ(endpoints->size(), 1u);
  EXPECT_EQ((*endpoints)[0].ipv4, "172.30.0.2/24");
  EXPECT_EQ((*endpoints)[0].aliases, std::vector<std::string>{"db"});
  EXPECT_EQ((*endpoints)[0].ports, e.ports);
  EXPECT_EQ((*endpoints)[0].cni_config, e.cni_config);
  EXPECT_TRUE((*reopened)->ListEndpoints("c2", "")->empty());
  auto sandbox = (*reopened)->GetSandbox("c1");
  BERTH_ASSERT_OK(sandbox);
  ASSERT_TRUE(sandbox->has_value());
  EXPECT_TRUE((*sandbox)->owns_netns);
  EXPECT_EQ((*sandbox)->extra_hosts, s.extra_hosts);
  BERTH_ASSERT_OK((*reopened)->DeleteEndpoint(e.id));
  BERTH_ASSERT_OK((*reopened)->DeleteSandbox("c1"));
  EXPECT_FALSE((*(*reopened)->GetSandbox("c1")).has_value());
}

}  // namespace
}  // namespace berth::network
