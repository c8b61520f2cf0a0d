#include "services/network/core/network_catalog.h"

#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/file_text.h"
#include "common/random_hex.h"
#include "common/status_macros.h"
#include "services/network/core/cni_conflist.h"
#include "services/network/core/ipv4_subnet.h"
#include "services/network/core/program_runner.h"

namespace berth::network {
namespace {

constexpr absl::string_view kBuiltinNames[] = {"bridge", "host", "none"};

bool IsBuiltinName(absl::string_view name) {
  for (absl::string_view builtin : kBuiltinNames) {
    if (name == builtin) return true;
  }
  return false;
}

// Docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]*.
bool ValidName(absl::string_view name) {
  if (name.empty() || !absl::ascii_isalnum(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

bool ValidBridgeName(absl::string_view name) {
  if (name.empty() || name.size() > 15) return false;
  for (char c : name) {
    if (c == '/' || c == ':' || absl::ascii_isspace(c)) return false;
  }
  return true;
}

// "until": a Unix time, an RFC 3339 time, or a Go duration back from now.
absl::StatusOr<absl::Time> ParseUntil(const std::string& value) {
  int64_t seconds = 0;
  if (absl::SimpleAtoi(value, &seconds)) return absl::FromUnixSeconds(seconds);
  absl::Time t;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, value, &t, &error)) return t;
  absl::Duration d;
  if (absl::ParseDuration(value, &d)) return absl::Now() - d;
  return absl::InvalidArgumentError(absl::StrCat("invalid filter 'until=", value, "'"));
}

bool LabelMatches(const std::map<std::string, std::string>& labels, const std::string& filter) {
  std::vector<std::string> kv = absl::StrSplit(filter, absl::MaxSplits('=', 1));
  auto it = labels.find(kv[0]);
  if (it == labels.end()) return false;
  return kv.size() == 1 || it->second == kv[1];
}

}  // namespace

NetworkCatalog::NetworkCatalog(NetworkStore* store, const BridgeIsolation* isolation,
                               NetworkCatalogOptions options)
    : store_(store), isolation_(isolation), options_(std::move(options)) {
  if (options_.pools.empty()) {
    for (const Ipv4Subnet& pool : DefaultSubnetPools()) options_.pools.push_back(pool.ToString());
  }
}

NetworkRecord NetworkCatalog::WithDefaults(NetworkRecord network) const {
  if (!network.builtin || network.name != "bridge") return network;
  // The default bridge follows daemon.json as it is now, not as it was when stored.
  network.bridge = options_.default_bridge;
  network.mtu = options_.mtu;
  auto subnet = ParseIpv4Subnet(options_.default_subnet);
  if (subnet.ok()) {
    network.subnet = subnet->ToString();
    network.gateway = options_.default_gateway.empty() ? FormatIpv4(subnet->Network() + 1)
                                                       : options_.default_gateway;
  }
  network.ip_range = options_.default_ip_range;
  network.default_route_via = options_.default_route_via;
  network.options = {{"com.docker.network.bridge.default_bridge", "true"},
                     {"com.docker.network.bridge.enable_icc", "true"},
                     {"com.docker.network.bridge.enable_ip_masquerade", "true"},
                     {kBridgeNameOption, network.bridge},
                     {kMtuOption, absl::StrCat(network.mtu)}};
  return network;
}

absl::Status NetworkCatalog::EnsureBuiltins(absl::string_view ns) {
  BERTH_ASSIGN_OR_RETURN(std::vector<NetworkRecord> existing,
                         store_->ListNetworks(std::string(ns)));
  for (absl::string_view name : kBuiltinNames) {
    bool found = false;
    for (const NetworkRecord& n : existing) found = found || (n.builtin && n.name == name);
    if (found) continue;
    NetworkRecord n;
    n.id = RandomHex(32);
    n.name = std::string(name);
    n.ns = std::string(ns);
    n.builtin = true;
    n.driver = name == "bridge" ? kDriverBridge : name == "host" ? kDriverHost : kDriverNull;
    n.created = absl::Now();
    absl::Status inserted = store_->InsertNetwork(WithDefaults(n));
    if (!inserted.ok() && !absl::IsAlreadyExists(inserted)) return inserted;
  }
  return absl::OkStatus();
}

absl::StatusOr<NetworkRecord> NetworkCatalog::Create(absl::string_view ns,
                                                     const NetworkSpec& spec) {
  BERTH_RETURN_IF_ERROR(EnsureBuiltins(ns));
  if (!ValidName(spec.name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid network name \"", spec.name, "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
  }
  if (IsBuiltinName(spec.name)) {
    return absl::PermissionDeniedError(
        absl::StrCat(spec.name, " is a pre-defined network and cannot be created"));
  }
  if (!spec.driver.empty() && spec.driver != kDriverBridge) {
    return absl::InvalidArgumentError(
        absl::StrCat("plugin \"", spec.driver, "\" not found: berth creates bridge networks only"));
  }
  NetworkRecord n;
  n.id = RandomHex(32);
  n.name = spec.name;
  n.ns = std::string(ns);
  n.driver = kDriverBridge;
  n.internal = spec.internal;
  n.attachable = spec.attachable;
  n.labels = spec.labels;
  n.options = spec.options;
  n.mtu = options_.mtu;
  n.created = absl::Now();
  if (auto it = spec.options.find(kMtuOption); it != spec.options.end()) {
    if (!absl::SimpleAtoi(it->second, &n.mtu) || n.mtu < 68 || n.mtu > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("invalid MTU ", it->second));
    }
  }
  auto bridge_option = spec.options.find(kBridgeNameOption);
  n.bridge =
      bridge_option != spec.options.end() ? bridge_option->second : "br-" + n.id.substr(0, 12);
  if (!ValidBridgeName(n.bridge)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid bridge name \"", n.bridge, "\""));
  }

  // Every bridge network of every namespace shares the host: no subnet or bridge twice.
  BERTH_ASSIGN_OR_RETURN(std::vector<NetworkRecord> all, store_->ListNetworks(std::nullopt));
  std::vector<Ipv4Subnet> taken;
  for (NetworkRecord& other : all) {
    other = WithDefaults(std::move(other));
    if (other.driver != kDriverBridge) continue;
    if (other.bridge == n.bridge) {
      return absl::AlreadyExistsError(
          absl::StrCat("bridge ", n.bridge, " is already used by network ", other.name));
    }
    auto subnet = ParseIpv4Subnet(other.subnet);
    if (subnet.ok()) taken.push_back(*subnet);
  }
  Ipv4Subnet subnet;
  if (!spec.subnet.empty()) {
    BERTH_ASSIGN_OR_RETURN(subnet, ParseIpv4Subnet(spec.subnet, /*require_network=*/true));
    for (const NetworkRecord& other : all) {
      auto other_subnet = ParseIpv4Subnet(other.subnet);
      if (other.driver == kDriverBridge && other_subnet.ok() && other_subnet->Overlaps(subnet)) {
        return absl::FailedPreconditionError(
            absl::StrCat("Pool overlaps with other one on this address space: ", subnet.ToString(),
                         " overlaps ", other_subnet->ToString(), " of network ", other.name,
                         other.ns != ns ? absl::StrCat(" (namespace ", other.ns, ")") : ""));
      }
    }
  } else {
    if (!spec.gateway.empty() || !spec.ip_range.empty()) {
      return absl::InvalidArgumentError("a gateway or ip-range needs a subnet");
    }
    std::vector<Ipv4Subnet> avoid = taken;
    for (const Ipv4Subnet& routed : HostRoutedSubnets()) avoid.push_back(routed);
    std::vector<Ipv4Subnet> pools;
    for (const std::string& pool : options_.pools) {
      BERTH_ASSIGN_OR_RETURN(Ipv4Subnet parsed, ParseIpv4Subnet(pool));
      pools.push_back(parsed);
    }
    BERTH_ASSIGN_OR_RETURN(subnet, PickFreeSubnet(pools, avoid));
  }
  n.subnet = subnet.ToString();
  if (spec.gateway.empty()) {
    n.gateway = FormatIpv4(subnet.Network() + 1);
  } else {
    BERTH_ASSIGN_OR_RETURN(uint32_t gateway, ParseIpv4(spec.gateway));
    if (!subnet.Contains(gateway)) {
      return absl::InvalidArgumentError(
          absl::StrCat("no matching subnet for gateway ", spec.gateway));
    }
    n.gateway = spec.gateway;
  }
  if (!spec.ip_range.empty()) {
    BERTH_ASSIGN_OR_RETURN(Ipv4Subnet range, ParseIpv4Subnet(spec.ip_range, true));
    if (!subnet.Contains(range.Network()) || range.prefix_length < subnet.prefix_length) {
      return absl::InvalidArgumentError(
          absl::StrCat("no matching subnet for range ", spec.ip_range));
    }
    n.ip_range = range.ToString();
  }

  BERTH_RETURN_IF_ERROR(Conflist(n).status());
  BERTH_RETURN_IF_ERROR(isolation_->Install(n));
  if (absl::Status inserted = store_->InsertNetwork(n); !inserted.ok()) {
    RemoveNetworkState(n).IgnoreError();
    return inserted;
  }
  return n;
}

absl::StatusOr<NetworkRecord> NetworkCatalog::Resolve(absl::string_view ns, absl::string_view ref) {
  BERTH_RETURN_IF_ERROR(EnsureBuiltins(ns));
  if (absl::StartsWith(ref, kCniNetworkPrefix)) {
    return ResolveCni(ns, ref.substr(strlen(kCniNetworkPrefix)));
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<NetworkRecord> networks,
                         store_->ListNetworks(std::string(ns)));
  for (const NetworkRecord& n : networks) {
    if (n.id == ref) return WithDefaults(n);
  }
  for (const NetworkRecord& n : networks) {
    if (n.name == ref) return WithDefaults(n);
  }
  const NetworkRecord* match = nullptr;
  int matches = 0;
  for (const NetworkRecord& n : networks) {
    if (ref.empty() || !absl::StartsWith(n.id, ref)) continue;
    match = &n;
    ++matches;
  }
  if (matches > 1) {
    return absl::FailedPreconditionError(absl::StrCat("network ", ref, " is ambiguous (", matches,
                                                      " matches found based on ID prefix)"));
  }
  if (match == nullptr) return absl::NotFoundError(absl::StrCat("network ", ref, " not found"));
  return WithDefaults(*match);
}

absl::StatusOr<NetworkRecord> NetworkCatalog::ResolveCni(absl::string_view ns,
                                                         absl::string_view name) {
  if (options_.cni_config_dir.empty() && name.empty()) {
    return absl::FailedPreconditionError("no CNI configuration directory (cni-config-dir) is set");
  }
  std::string record_name = absl::StrCat(kCniNetworkPrefix, name);
  absl::StatusOr<CniConfigFile> file = absl::NotFoundError(
      absl::StrCat("network ", record_name, " not found: no cni-config-dir is set"));
  if (!options_.cni_config_dir.empty()) {
    file = CniConfigDir(options_.cni_config_dir).Find(name);
    if (file.ok()) record_name = absl::StrCat(kCniNetworkPrefix, file->name);
    // A record outlives its file: its endpoints still detach with their stored config.
    if (!file.ok() && (name.empty() || !absl::IsNotFound(file.status()))) return file.status();
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<NetworkRecord> networks,
                         store_->ListNetworks(std::string(ns)));
  for (const NetworkRecord& n : networks) {
    if (n.name == record_name) return n;
  }
  BERTH_RETURN_IF_ERROR(file.status());
  NetworkRecord n;
  n.id = RandomHex(32);
  n.name = record_name;
  n.ns = std::string(ns);
  n.driver = kDriverCni;
  n.options = {{kCniFileOption, file->path}};
  n.created = absl::Now();
  absl::Status inserted = store_->InsertNetwork(n);
  if (absl::IsAlreadyExists(inserted)) return ResolveCni(ns, name);  // made meanwhile
  BERTH_RETURN_IF_ERROR(inserted);
  return n;
}

absl::StatusOr<bool> NetworkCatalog::HasEndpoints(const NetworkRecord& network) {
  BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> endpoints,
                         store_->ListEndpoints("", network.id));
  return !endpoints.empty();
}

absl::StatusOr<bool> NetworkCatalog::Matches(const NetworkRecord& n,
                                             const NetworkFilters& filters) {
  for (const auto& [key, values] : filters) {
    if (values.empty()) continue;
    bool any = false;
    for (const std::string& v : values) {
      if (key == "driver") {
        any = any || n.driver == v;
      } else if (key == "id") {
        any = any || absl::StartsWith(n.id, v);
      } else if (key == "name") {
        any = any || absl::StrContains(n.name, v);
      } else if (key == "label") {
        any = any || LabelMatches(n.labels, v);
      } else if (key == "scope") {
        any = any || v == "local";
      } else if (key == "type") {
        if (v != "custom" && v != "builtin") {
          return absl::InvalidArgumentError(absl::StrCat("invalid filter: 'type'='", v, "'"));
        }
        any = any || (v == "builtin") == n.builtin;
      } else if (key == "dangling") {
        BERTH_ASSIGN_OR_RETURN(bool used, HasEndpoints(n));
        any = any || ((v == "true" || v == "1") == (!used && !n.builtin));
      } else if (key == "until") {
        BERTH_ASSIGN_OR_RETURN(absl::Time until, ParseUntil(v));
        any = any || n.created < until;
      } else {
        return absl::InvalidArgumentError(absl::StrCat("invalid filter '", key, "'"));
      }
    }
    if (!any) return false;
  }
  return true;
}

absl::StatusOr<std::vector<NetworkRecord>> NetworkCatalog::List(absl::string_view ns,
                                                                const NetworkFilters& filters) {
  BERTH_RETURN_IF_ERROR(EnsureBuiltins(ns));
  BERTH_ASSIGN_OR_RETURN(std::vector<NetworkRecord> networks,
                         store_->ListNetworks(std::string(ns)));
  std::vector<NetworkRecord> out;
  for (NetworkRecord& n : networks) {
    BERTH_ASSIGN_OR_RETURN(bool match, Matches(n, filters));
    if (match) out.push_back(WithDefaults(std::move(n)));
  }
  return out;
}

absl::Status NetworkCatalog::RemoveNetworkState(const NetworkRecord& network) {
  // The file and whatever its plugins keep (IPAM state) belong to the operator.
  if (network.driver == kDriverCni) return absl::OkStatus();
  absl::Status status = isolation_->Remove(network);
  std::error_code ignored;
  std::filesystem::remove(ConflistPath(network), ignored);
  std::filesystem::remove_all(IpamDataDir() + "/" + CniNetworkName(network), ignored);
  // The bridge plugin creates the bridge on first use and never removes it.
  const char* path = std::getenv("PATH");
  auto deleted = RunProgram({"/usr/sbin/ip", "link", "delete", network.bridge, "type", "bridge"},
                            {absl::StrCat("PATH=", path != nullptr ? path : "/usr/sbin:/usr/bin")},
                            "", absl::Seconds(10));
  status.Update(deleted.status());
  return status;
}

absl::Status NetworkCatalog::Delete(absl::string_view ns, absl::string_view ref) {
  BERTH_ASSIGN_OR_RETURN(NetworkRecord n, Resolve(ns, ref));
  if (n.builtin) {
    return absl::PermissionDeniedError(
        absl::StrCat(n.name, " is a pre-defined network and cannot be removed"));
  }
  BERTH_ASSIGN_OR_RETURN(bool used, HasEndpoints(n));
  if (used) {
    return absl::FailedPreconditionError(absl::StrCat(
        "error while removing network: network ", n.name, " id ", n.id, " has active endpoints"));
  }
  BERTH_RETURN_IF_ERROR(RemoveNetworkState(n));
  return store_->DeleteNetwork(n.id);
}

absl::StatusOr<std::vector<std::string>> NetworkCatalog::Prune(absl::string_view ns,
                                                               const NetworkFilters& filters) {
  for (const auto& [key, values] : filters) {
    if (key != "until" && key != "label") {
      return absl::InvalidArgumentError(absl::StrCat("invalid filter '", key, "'"));
    }
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<NetworkRecord> networks, List(ns, filters));
  std::vector<std::string> removed;
  for (const NetworkRecord& n : networks) {
    if (n.builtin) continue;
    BERTH_ASSIGN_OR_RETURN(bool used, HasEndpoints(n));
    if (used) continue;
    BERTH_RETURN_IF_ERROR(RemoveNetworkState(n));
    BERTH_RETURN_IF_ERROR(store_->DeleteNetwork(n.id));
    removed.push_back(n.name);
  }
  return removed;
}

absl::Status NetworkCatalog::RestoreFirewall() {
  BERTH_ASSIGN_OR_RETURN(std::vector<NetworkRecord> all, store_->ListNetworks(std::nullopt));
  absl::Status status;
  for (const NetworkRecord& n : all) {
    // The default bridge's rules come with its first endpoint (EndpointRegistry).
    if (n.driver != kDriverBridge || n.builtin) continue;
    status.Update(isolation_->Install(n));
  }
  return status;
}

std::string NetworkCatalog::ConflistPath(const NetworkRecord& network) const {
  return absl::StrCat(options_.root_dir, "/cni/", CniNetworkName(network), ".conflist");
}

absl::StatusOr<nlohmann::json> NetworkCatalog::Conflist(const NetworkRecord& network) {
  if (network.driver == kDriverCni) {
    BERTH_ASSIGN_OR_RETURN(
        CniConfigFile file,
        CniConfigDir(options_.cni_config_dir)
            .Find(absl::string_view(network.name).substr(strlen(kCniNetworkPrefix))));
    return file.conflist;
  }
  BERTH_ASSIGN_OR_RETURN(nlohmann::json conflist, RenderConflist(network, IpamDataDir()));
  std::error_code error;
  std::filesystem::create_directories(options_.root_dir + "/cni", error);
  BERTH_RETURN_IF_ERROR(WriteFileAtomically(ConflistPath(network), conflist.dump(2) + "\n", 0644));
  return conflist;
}

}  // namespace berth::network
