#include "ctl/network_format.h"

#include <gtest/gtest.h>

namespace berth::ctl {
namespace {

network::v1::Network UserNetwork() {
  network::v1::Network n;
  n.set_id("3f9c0e5d1a2b" + std::string(52, '0'));
  n.set_name("web");
  n.mutable_created()->set_seconds(1700000000);
  n.set_scope("local");
  n.set_driver("bridge");
  n.set_ipam_driver("default");
  auto* ipam = n.add_ipam_configs();
  ipam->set_subnet("172.30.0.0/24");
  ipam->set_gateway("172.30.0.1");
  auto* c = n.add_containers();
  c->set_container_id("abc");
  c->set_name("api");
  c->set_endpoint_id("e1");
  c->set_mac_address("02:42:ac:1e:00:02");
  c->set_ipv4_address("172.30.0.2/24");
  (*n.mutable_labels())["team"] = "a";
  return n;
}

TEST(NetworkFormatTest, InspectHasDockersShape) {
  nlohmann::ordered_json json = NetworkInspectJson(UserNetwork());
  std::vector<std::string> keys;
  for (const auto& [key, value] : json.items()) keys.push_back(key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"Name", "Id", "Created", "Scope", "Driver", "EnableIPv6",
                                      "IPAM", "Internal", "Attachable", "Ingress", "ConfigFrom",
                                      "ConfigOnly", "Containers", "Options", "Labels"}));
  EXPECT_EQ(json["Created"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(
      json["IPAM"].dump(),
      R"({"Driver":"default","Options":null,"Config":[{"Subnet":"172.30.0.0/24","Gateway":"172.30.0.1"}]})");
  EXPECT_EQ(
      json["Containers"]["abc"].dump(),
      R"({"Name":"api","EndpointID":"e1","MacAddress":"02:42:ac:1e:00:02","IPv4Address":"172.30.0.2/24","IPv6Address":""})");
  EXPECT_EQ(json["Labels"]["team"], "a");
}

TEST(NetworkFormatTest, ListRow) {
  nlohmann::ordered_json row = NetworkListRow(UserNetwork(), false);
  EXPECT_EQ(row["ID"], "3f9c0e5d1a2b");
  EXPECT_EQ(row["Name"], "web");
  EXPECT_EQ(row["Driver"], "bridge");
  EXPECT_EQ(row["Scope"], "local");
  EXPECT_EQ(row["Labels"], "team=a");
  EXPECT_EQ(NetworkListRow(UserNetwork(), true)["ID"].get<std::string>().size(), 64u);
}

}  // namespace
}  // namespace berth::ctl
