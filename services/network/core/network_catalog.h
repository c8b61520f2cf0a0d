// Docker's networks over the store: the built-ins (bridge, host, none) in every
// namespace, user-defined bridge networks with their subnets, CNI conflist files and
// isolation rules, lookup by name/ID/prefix, filters, removal and prune.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "services/network/core/bridge_isolation.h"
#include "services/network/core/cni_config_dir.h"
#include "services/network/core/network_store.h"

namespace berth::network {

struct NetworkCatalogOptions {
  std::string root_dir;  // conflists in <root>/cni, host-local state in <root>/ipam
  // Operators' conflists, run for "cni:<name>" references; "" = none.
  std::string cni_config_dir;
  // The default `bridge` network (daemon.json bridge, bip, fixed-cidr, mtu).
  std::string default_bridge = "berth0";
  std::string default_subnet = "10.88.0.0/16";
  std::string default_gateway;    // "" = the subnet's first address
  std::string default_ip_range;   // "" = the whole subnet
  std::string default_route_via;  // daemon.json default-gateway; "" = the bridge
  int mtu = 1500;
  // Subnets auto-picked for user networks; default DefaultSubnetPools().
  std::vector<std::string> pools;
};

struct NetworkSpec {
  std::string name;
  std::string driver;  // "" or "bridge"
  std::string subnet;  // "" = picked from the pools
  std::string gateway;
  std::string ip_range;
  bool internal = false;
  bool attachable = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;
};

// Filter key → accepted values (values of one key OR, keys AND), as Docker's --filter.
using NetworkFilters = std::map<std::string, std::vector<std::string>>;

class NetworkCatalog {
 public:
  NetworkCatalog(NetworkStore* store, const BridgeIsolation* isolation,
                 NetworkCatalogOptions options);

  absl::StatusOr<NetworkRecord> Create(absl::string_view ns, const NetworkSpec& spec);
  // Full ID, then name, then unique ID prefix. NotFound "network <ref> not found".
  // "cni:<name>" ("cni:" = the directory's first) names a conflist of the CNI
  // configuration directory: its record (driver cni) is made on first reference.
  absl::StatusOr<NetworkRecord> Resolve(absl::string_view ns, absl::string_view ref);
  // Keys: driver, id, label, name, scope, type (custom|builtin), dangling (true|false).
  absl::StatusOr<std::vector<NetworkRecord>> List(absl::string_view ns,
                                                  const NetworkFilters& filters = {});
  // Refuses built-ins and networks with endpoints, in Docker's words.
  absl::Status Delete(absl::string_view ns, absl::string_view ref);
  // Removes every user network without endpoints matching `filters` (until, label);
  // the names removed.
  absl::StatusOr<std::vector<std::string>> Prune(absl::string_view ns,
                                                 const NetworkFilters& filters);

  // The network's conflist, written to ConflistPath (the file is what CNI tooling and
  // operators read; berth runs the JSON it returns). For a cni network, the directory's
  // file as it is now.
  absl::StatusOr<nlohmann::json> Conflist(const NetworkRecord& network);
  std::string ConflistPath(const NetworkRecord& network) const;
  std::string IpamDataDir() const { return options_.root_dir + "/ipam"; }

  // Installs the isolation rules of every user network of every namespace (after a
  // reboot, or an iptables flush).
  absl::Status RestoreFirewall();

  const NetworkCatalogOptions& options() const { return options_; }

 private:
  absl::Status EnsureBuiltins(absl::string_view ns);
  absl::StatusOr<NetworkRecord> ResolveCni(absl::string_view ns, absl::string_view name);
  NetworkRecord WithDefaults(NetworkRecord network) const;
  absl::Status RemoveNetworkState(const NetworkRecord& network);
  absl::StatusOr<bool> HasEndpoints(const NetworkRecord& network);
  absl::StatusOr<bool> Matches(const NetworkRecord& network, const NetworkFilters& filters);

  NetworkStore* store_;
  const BridgeIsolation* isolation_;
  NetworkCatalogOptions options_;
};

}  // namespace berth::network
