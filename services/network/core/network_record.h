// What the network service stores: networks, the endpoints joining containers to them,
// and each container's network sandbox (its netns and generated name files).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace berth::network {

inline constexpr char kDriverBridge[] = "bridge";
inline constexpr char kDriverHost[] = "host";
inline constexpr char kDriverNull[] = "null";
// A conflist of the CNI configuration directory, run as it is (CniConfigDir).
inline constexpr char kDriverCni[] = "cni";
inline constexpr char kBridgeNameOption[] = "com.docker.network.bridge.name";
inline constexpr char kMtuOption[] = "com.docker.network.driver.mtu";
inline constexpr char kMasqueradeOption[] = "com.docker.network.bridge.enable_ip_masquerade";
// A cni network's file in the CNI configuration directory (for operators to read).
inline constexpr char kCniFileOption[] = "berth.cni.file";

struct NetworkRecord {
  std::string id;  // 64 hex
  std::string name;
  std::string ns;
  std::string driver = kDriverBridge;  // bridge, host, null or cni
  bool builtin = false;                // bridge, host, none
  std::string subnet;                  // "172.18.0.0/16"; empty for host and none
  std::string gateway;                 // "172.18.0.1"
  std::string ip_range;                // CIDR inside subnet; empty: the whole subnet
  // The containers' default route when not the bridge (daemon.json default-gateway, for
  // the default network only; not stored, it follows the daemon's configuration).
  std::string default_route_via;
  bool internal = false;
  bool attachable = false;
  std::string bridge;  // Linux bridge name
  int mtu = 1500;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;
  absl::Time created;
};

// A published port as bound: one host port for one container port.
struct PortBinding {
  std::string host_ip;  // "" = every address
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // tcp, udp, sctp

  bool operator==(const PortBinding&) const = default;
};

struct EndpointRecord {
  std::string id;  // 64 hex
  std::string ns;
  std::string container_id;
  std::string network_id;
  std::string network_name;
  std::string netns_path;  // empty for host networking
  std::string interface;   // "eth0"; empty for host and none
  std::string ipv4;        // CIDR "172.18.0.2/16"
  std::string gateway;
  std::string mac;
  std::vector<std::string> aliases;
  std::vector<PortBinding> ports;
  // Exactly what CNI ADD ran with and answered, so DEL undoes exactly that.
  std::string cni_config;          // the conflist JSON
  std::string cni_runtime_config;  // the runtimeConfig JSON object (ports, mac, ips)
  std::string cni_result;          // ADD's result JSON
  absl::Time created;
};

// One container's network side: the netns its endpoints share and the name files.
struct SandboxRecord {
  std::string container_id;
  std::string ns;
  std::string name;         // the container's name, a DNS name on user networks
  std::string netns_path;   // empty: host networking
  bool owns_netns = false;  // berth created it and removes it with the last endpoint
  std::string hostname;
  std::string domainname;
  std::vector<std::string> extra_hosts;  // "name:ip" (host-gateway already resolved)
  std::string hosts_path;
  std::string resolv_conf_path;
  std::string hostname_path;
};

}  // namespace berth::network
