#include "ctl/network_format.h"

#include <map>
#include <string>

#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "ctl/output_format.h"

namespace berth::ctl {
namespace {

absl::Time CreatedOf(const network::v1::Network& n) {
  if (!n.has_created()) return absl::InfinitePast();
  return absl::FromUnixSeconds(n.created().seconds()) + absl::Nanoseconds(n.created().nanos());
}

template <typename Map>
nlohmann::ordered_json SortedObject(const Map& map) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [key, value] : std::map<std::string, std::string>(map.begin(), map.end())) {
    out[key] = value;
  }
  return out;
}

}  // namespace

nlohmann::ordered_json NetworkInspectJson(const network::v1::Network& n) {
  nlohmann::ordered_json out;
  out["Name"] = n.name();
  out["Id"] = n.id();
  out["Created"] = Rfc3339(CreatedOf(n));
  out["Scope"] = n.scope().empty() ? "local" : n.scope();
  out["Driver"] = n.driver();
  out["EnableIPv6"] = n.enable_ipv6();
  nlohmann::ordered_json ipam;
  ipam["Driver"] = n.ipam_driver().empty() ? "default" : n.ipam_driver();
  ipam["Options"] =
      n.ipam_options().empty() ? nlohmann::ordered_json(nullptr) : SortedObject(n.ipam_options());
  nlohmann::ordered_json configs = nlohmann::ordered_json::array();
  for (const network::v1::IpamConfig& c : n.ipam_configs()) {
    nlohmann::ordered_json config;
    config["Subnet"] = c.subnet();
    if (!c.ip_range().empty()) config["IPRange"] = c.ip_range();
    if (!c.gateway().empty()) config["Gateway"] = c.gateway();
    if (!c.aux_addresses().empty()) config["AuxiliaryAddresses"] = SortedObject(c.aux_addresses());
    configs.push_back(std::move(config));
  }
  ipam["Config"] = n.ipam_configs().empty() ? nlohmann::ordered_json(nullptr) : configs;
  out["IPAM"] = std::move(ipam);
  out["Internal"] = n.internal();
  out["Attachable"] = n.attachable();
  out["Ingress"] = false;
  out["ConfigFrom"] = {{"Network", ""}};
  out["ConfigOnly"] = false;
  nlohmann::ordered_json containers = nlohmann::ordered_json::object();
  for (const network::v1::NetworkContainer& c : n.containers()) {
    nlohmann::ordered_json entry;
    entry["Name"] = c.name();
    entry["EndpointID"] = c.endpoint_id();
    entry["MacAddress"] = c.mac_address();
    entry["IPv4Address"] = c.ipv4_address();
    entry["IPv6Address"] = c.ipv6_address();
    containers[c.container_id()] = std::move(entry);
  }
  out["Containers"] = std::move(containers);
  out["Options"] = SortedObject(n.options());
  out["Labels"] = SortedObject(n.labels());
  return out;
}

nlohmann::ordered_json NetworkListRow(const network::v1::Network& n, bool no_trunc) {
  nlohmann::ordered_json row;
  row["CreatedAt"] =
      absl::FormatTime("%Y-%m-%d %H:%M:%E*S %z %Z", CreatedOf(n), absl::UTCTimeZone());
  row["Driver"] = n.driver();
  row["ID"] = no_trunc ? n.id() : n.id().substr(0, 12);
  row["IPv6"] = n.enable_ipv6() ? "true" : "false";
  row["Internal"] = n.internal() ? "true" : "false";
  std::map<std::string, std::string> labels(n.labels().begin(), n.labels().end());
  std::vector<std::string> pairs;
  for (const auto& [k, v] : labels) pairs.push_back(k + "=" + v);
  row["Labels"] = absl::StrJoin(pairs, ",");
  row["Name"] = n.name();
  row["Scope"] = n.scope().empty() ? "local" : n.scope();
  return row;
}

}  // namespace berth::ctl
