#include "services/network/core/cni_conflist.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/network/core/ipv4_subnet.h"

namespace berth::network {

std::string CniNetworkName(const NetworkRecord& network) {
  if (network.builtin) return "berth-" + network.name;
  return "berth-" + network.id.substr(0, 12);
}

absl::StatusOr<nlohmann::json> RenderConflist(const NetworkRecord& network,
                                              const std::string& ipam_data_dir) {
  if (network.driver != kDriverBridge) {
    return absl::InvalidArgumentError(absl::StrCat(
        "network ", network.name, " has no CNI configuration (driver ", network.driver, ")"));
  }
  BERTH_ASSIGN_OR_RETURN(Ipv4Subnet subnet, ParseIpv4Subnet(network.subnet));
  nlohmann::json range = {{"subnet", subnet.ToString()}};
  if (!network.gateway.empty()) range["gateway"] = network.gateway;
  if (!network.ip_range.empty()) {
    BERTH_ASSIGN_OR_RETURN(Ipv4Subnet pool, ParseIpv4Subnet(network.ip_range));
    // host-local hands out rangeStart..rangeEnd inclusive; skip the subnet's network
    // and broadcast addresses when the range touches them.
    uint32_t first = std::max(pool.Network(), subnet.Network() + 1);
    uint32_t last = std::min(pool.Broadcast(), subnet.Broadcast() - 1);
    range["rangeStart"] = FormatIpv4(first);
    range["rangeEnd"] = FormatIpv4(last);
  }
  nlohmann::json ipam = {{"type", "host-local"},
                         {"ranges", nlohmann::json::array({nlohmann::json::array({range})})},
                         {"dataDir", ipam_data_dir}};
  // An internal network gets no default route: it reaches its own subnet only.
  nlohmann::json default_route = {{"dst", "0.0.0.0/0"}};
  if (!network.default_route_via.empty()) default_route["gw"] = network.default_route_via;
  ipam["routes"] =
      network.internal ? nlohmann::json::array() : nlohmann::json::array({default_route});
  int mtu = network.mtu;
  if (auto it = network.options.find(kMtuOption); it != network.options.end()) {
    if (!absl::SimpleAtoi(it->second, &mtu) || mtu < 68) {
      return absl::InvalidArgumentError(absl::StrCat("invalid MTU ", it->second));
    }
  }
  nlohmann::json bridge = {{"type", "bridge"},
                           {"bridge", network.bridge},
                           {"isGateway", true},
                           // Masquerading is one rule per network (BridgeIsolation).
                           {"ipMasq", false},
                           {"hairpinMode", true},
                           {"mtu", mtu},
                           {"capabilities", {{"ips", true}}},
                           {"ipam", ipam}};
  nlohmann::json portmap = {
      {"type", "portmap"}, {"capabilities", {{"portMappings", true}}}, {"snat", true}};
  nlohmann::json tuning = {{"type", "tuning"}, {"capabilities", {{"mac", true}}}};
  return nlohmann::json{{"cniVersion", kCniVersion},
                        {"name", CniNetworkName(network)},
                        {"plugins", nlohmann::json::array({bridge, portmap, tuning})}};
}

nlohmann::json PluginsWithWork(const nlohmann::json& conflist, bool publishes_ports,
                               bool sets_mac) {
  nlohmann::json out = conflist;
  nlohmann::json& plugins = out["plugins"];
  plugins.erase(std::remove_if(plugins.begin(), plugins.end(),
                               [&](const nlohmann::json& plugin) {
                                 const std::string type = plugin.value("type", "");
                                 return (type == "portmap" && !publishes_ports) ||
                                        (type == "tuning" && !sets_mac);
                               }),
                plugins.end());
  return out;
}

}  // namespace berth::network
