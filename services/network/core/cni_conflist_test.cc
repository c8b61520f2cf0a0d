#include "services/network/core/cni_conflist.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"
#include "services/network/core/cni_runner.h"

namespace berth::network {
namespace {

NetworkRecord UserNetwork() {
  NetworkRecord n;
  n.id = std::string(64, 'a');
  n.name = "web";
  n.bridge = "br-aaaaaaaaaaaa";
  n.subnet = "172.30.0.0/24";
  n.gateway = "172.30.0.1";
  n.mtu = 1400;
  return n;
}

TEST(CniConflistTest, BridgeHostLocalPortmapTuning) {
  auto conflist = RenderConflist(UserNetwork(), "/var/lib/berth/network/ipam");
  BERTH_ASSERT_OK(conflist);
  EXPECT_EQ((*conflist)["cniVersion"], "1.0.0");
  EXPECT_EQ((*conflist)["name"], "berth-aaaaaaaaaaaa");
  const auto& plugins = (*conflist)["plugins"];
  ASSERT_EQ(plugins.size(), 3u);
  EXPECT_EQ(plugins[0]["type"], "bridge");
  EXPECT_EQ(plugins[0]["bridge"], "br-aaaaaaaaaaaa");
  EXPECT_EQ(plugins[0]["isGateway"], true);
  EXPECT_EQ(plugins[0]["ipMasq"], false);  // one rule per network instead
  EXPECT_EQ(plugins[0]["hairpinMode"], true);
  EXPECT_EQ(plugins[0]["mtu"], 1400);
  const auto& ipam = plugins[0]["ipam"];
  EXPECT_EQ(ipam["type"], "host-local");
  EXPECT_EQ(ipam["dataDir"], "/var/lib/berth/network/ipam");
  EXPECT_EQ(ipam["ranges"][0][0]["subnet"], "172.30.0.0/24");
  EXPECT_EQ(ipam["ranges"][0][0]["gateway"], "172.30.0.1");
  EXPECT_EQ(ipam["routes"][0]["dst"], "0.0.0.0/0");
  EXPECT_EQ(plugins[1]["type"], "portmap");
  EXPECT_EQ(plugins[1]["capabilities"]["portMappings"], true);
  EXPECT_EQ(plugins[2]["type"], "tuning");
}

TEST(CniConflistTest, InternalHasNoDefaultRoute) {
  NetworkRecord n = UserNetwork();
  n.internal = true;
  n.ip_range = "172.30.0.128/25";
  auto conflist = RenderConflist(n, "/ipam");
  BERTH_ASSERT_OK(conflist);
  const auto& bridge = (*conflist)["plugins"][0];
  EXPECT_EQ(bridge["ipMasq"], false);
  EXPECT_TRUE(bridge["ipam"]["routes"].empty());
  EXPECT_EQ(bridge["ipam"]["ranges"][0][0]["rangeStart"], "172.30.0.128");
  EXPECT_EQ(bridge["ipam"]["ranges"][0][0]["rangeEnd"], "172.30.0.254");
}

TEST(CniConflistTest, DefaultGatewayRoutesViaTheGivenAddress) {
  NetworkRecord n = UserNetwork();
  n.default_route_via = "172.30.0.254";
  auto conflist = RenderConflist(n, "/ipam");
  BERTH_ASSERT_OK(conflist);
  EXPECT_EQ((*conflist)["plugins"][0]["ipam"]["routes"][0]["gw"], "172.30.0.254");
}

TEST(CniConflistTest, RefusesNonBridgeNetworks) {
  NetworkRecord n = UserNetwork();
  n.driver = kDriverHost;
  EXPECT_FALSE(RenderConflist(n, "/ipam").ok());
}

TEST(CniConflistTest, RunsOnlyThePluginsWithWorkToDo) {
  auto conflist = *RenderConflist(UserNetwork(), "/ipam");
  auto types = [](const nlohmann::json& list) {
    std::vector<std::string> out;
    for (const auto& plugin : list["plugins"]) out.push_back(plugin["type"]);
    return out;
  };
  EXPECT_THAT(types(PluginsWithWork(conflist, true, true)),
              ::testing::ElementsAre("bridge", "portmap", "tuning"));
  EXPECT_THAT(types(PluginsWithWork(conflist, false, false)), ::testing::ElementsAre("bridge"));
  EXPECT_THAT(types(PluginsWithWork(conflist, true, false)),
              ::testing::ElementsAre("bridge", "portmap"));
  EXPECT_EQ(PluginsWithWork(conflist, false, true)["name"], conflist["name"]);
}

TEST(CniRunnerTest, PluginConfigGetsOnlyItsCapabilitiesAndThePrevResult) {
  auto conflist = *RenderConflist(UserNetwork(), "/ipam");
  nlohmann::json runtime = {{"portMappings", {{{"hostPort", 8080}}}}, {"mac", "02:42:ac:11:00:02"}};
  nlohmann::json prev = {{"cniVersion", "1.0.0"}};
  auto portmap = CniRunner::PluginConfig(conflist, conflist["plugins"][1], runtime, prev);
  EXPECT_EQ(portmap["name"], "berth-aaaaaaaaaaaa");
  EXPECT_EQ(portmap["cniVersion"], "1.0.0");
  EXPECT_EQ(portmap["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);
  EXPECT_FALSE(portmap["runtimeConfig"].contains("mac"));
  EXPECT_FALSE(portmap.contains("capabilities"));
  EXPECT_EQ(portmap["prevResult"], prev);
  auto bridge = CniRunner::PluginConfig(conflist, conflist["plugins"][0], runtime, nullptr);
  EXPECT_FALSE(bridge.contains("runtimeConfig"));
  EXPECT_FALSE(bridge.contains("prevResult"));
}

TEST(CniRunnerTest, ErrorsCarryThePluginsMessage) {
  absl::Status status =
      CniError("bridge", 1, R"({"code":11,"msg":"failed to allocate","details":"no IPs"})", "");
  EXPECT_THAT(status.message(),
              ::testing::HasSubstr("CNI plugin bridge: failed to allocate: no IPs"));
  status = CniError("portmap", 2, "", "panic: boom\n");
  EXPECT_THAT(status.message(), ::testing::HasSubstr("panic: boom (exit status 2)"));
}

}  // namespace
}  // namespace berth::network
