#include "services/network/core/endpoint_registry.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/file_text.h"
#include "common/random_hex.h"
#include "common/status_macros.h"
#include "services/network/core/cni_conflist.h"
#include "services/network/core/ipv4_subnet.h"
#include "services/network/core/network_namespace.h"

namespace berth::network {
namespace {

nlohmann::json PortMappingsJson(const std::vector<PortBinding>& ports) {
  nlohmann::json mappings = nlohmann::json::array();
  for (const PortBinding& p : ports) {
    nlohmann::json m = {
        {"hostPort", p.host_port}, {"containerPort", p.container_port}, {"protocol", p.protocol}};
    if (!p.host_ip.empty()) m["hostIP"] = p.host_ip;
    mappings.push_back(m);
  }
  return mappings;
}

// The container interface's address, gateway and MAC from a CNI 1.0 result.
void ReadResult(const nlohmann::json& result, const std::string& interface,
                EndpointRecord& endpoint) {
  int index = -1;
  const nlohmann::json interfaces = result.value("interfaces", nlohmann::json::array());
  for (size_t i = 0; i < interfaces.size(); ++i) {
    if (interfaces[i].value("name", "") == interface && interfaces[i].contains("sandbox")) {
      index = static_cast<int>(i);
      endpoint.mac = interfaces[i].value("mac", "");
    }
  }
  for (const nlohmann::json& ip : result.value("ips", nlohmann::json::array())) {
    if (ip.contains("interface") && ip["interface"] != index) continue;
    if (ip.value("address", "").find(':') != std::string::npos) continue;  // IPv4 only
    endpoint.ipv4 = ip.value("address", "");
    endpoint.gateway = ip.value("gateway", "");
    break;
  }
}

// Whether a plugin of `conflist` declares the runtimeConfig `capability`.
bool HasCapability(const nlohmann::json& conflist, const std::string& capability) {
  for (const nlohmann::json& plugin : conflist.value("plugins", nlohmann::json::array())) {
    const nlohmann::json capabilities = plugin.value("capabilities", nlohmann::json::object());
    if (capabilities.is_object() && capabilities.value(capability, false) == true) return true;
  }
  return false;
}

// Container IDs name files and directories: no separators, no "..".
absl::Status CheckContainerId(absl::string_view id) {
  bool ok = !id.empty() && id.size() <= 128 && absl::ascii_isalnum(id[0]) &&
            id.find("..") == absl::string_view::npos;
  for (char c : id) ok = ok && (absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-');
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("invalid container ID \"", id, "\""));
}

// What goes into /etc/hosts and /etc/resolv.conf one word at a time: a space or a line
// break would add fields or lines.
absl::Status CheckWords(const std::vector<std::string>& words, absl::string_view what) {
  for (const std::string& word : words) {
    for (char c : word) {
      if (absl::ascii_isspace(c) || absl::ascii_iscntrl(c)) {
        return absl::InvalidArgumentError(absl::StrCat("invalid ", what, " \"", word, "\""));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSpec(const AttachSpec& spec) {
  BERTH_RETURN_IF_ERROR(CheckContainerId(spec.container_id));
  BERTH_RETURN_IF_ERROR(CheckWords({spec.container_name}, "container name"));
  BERTH_RETURN_IF_ERROR(CheckWords({spec.hostname, spec.domainname}, "hostname"));
  BERTH_RETURN_IF_ERROR(CheckWords(spec.aliases, "alias"));
  BERTH_RETURN_IF_ERROR(CheckWords(spec.extra_hosts, "add-host"));
  BERTH_RETURN_IF_ERROR(CheckWords(spec.dns.servers, "DNS server"));
  BERTH_RETURN_IF_ERROR(CheckWords(spec.dns.search, "DNS search domain"));
  return CheckWords(spec.dns.options, "DNS option");
}

}  // namespace

EndpointRegistry::EndpointRegistry(NetworkStore* store, NetworkCatalog* catalog,
                                   const CniRunner* cni, const BridgeIsolation* isolation,
                                   EndpointRegistryOptions options)
    : store_(store),
      catalog_(catalog),
      cni_(cni),
      isolation_(isolation),
      options_(std::move(options)) {}

std::string EndpointRegistry::FilesDir(absl::string_view container_id) const {
  return absl::StrCat(options_.state_dir, "/containers/", container_id);
}

absl::StatusOr<std::pair<EndpointRecord, SandboxRecord>> EndpointRegistry::Attach(
    absl::string_view ns, const AttachSpec& spec) {
  const absl::Time started = absl::Now();
  BERTH_RETURN_IF_ERROR(CheckSpec(spec));
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(NetworkRecord network,
                         catalog_->Resolve(ns, spec.network.empty() ? "bridge" : spec.network));
  BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> existing,
                         store_->ListEndpoints(spec.container_id, ""));
  for (const EndpointRecord& e : existing) {
    if (e.network_id == network.id) {
      return absl::AlreadyExistsError(absl::StrCat("endpoint with name ", spec.container_name,
                                                   " already exists in network ", network.name));
    }
  }
  const bool exclusive = network.driver == kDriverHost || network.driver == kDriverNull;
  for (const EndpointRecord& e : existing) {
    if (exclusive || e.interface.empty()) {
      return absl::FailedPreconditionError(
          "container sharing network namespace with another container or host cannot be "
          "connected to any other network");
    }
  }
  if (!spec.ipv4.empty() && (network.builtin || network.driver != kDriverBridge)) {
    return absl::InvalidArgumentError(
        "user specified IP address is supported on user defined networks only");
  }
  if (!spec.aliases.empty() && network.builtin) {
    return absl::InvalidArgumentError(
        "network-scoped alias is supported only for containers in user defined networks");
  }

  BERTH_ASSIGN_OR_RETURN(std::optional<SandboxRecord> current,
                         store_->GetSandbox(spec.container_id));
  SandboxRecord sandbox;
  std::optional<NetworkNamespace> created_netns;
  bool new_sandbox = !current.has_value();
  if (current) {
    sandbox = *current;
  } else {
    sandbox.container_id = spec.container_id;
    sandbox.ns = std::string(ns);
    sandbox.name = spec.container_name;
    sandbox.hostname = spec.hostname.empty() ? spec.container_id.substr(0, 12) : spec.hostname;
    sandbox.domainname = spec.domainname;
    if (network.driver == kDriverHost) {
      char host[256] = {};
      ::gethostname(host, sizeof(host) - 1);
      if (spec.hostname.empty()) sandbox.hostname = host;
    } else if (!spec.netns_path.empty()) {
      sandbox.netns_path = spec.netns_path;
    } else {
      BERTH_ASSIGN_OR_RETURN(NetworkNamespace netns,
                             NetworkNamespace::Create(NetnsDir(), spec.container_id));
      sandbox.netns_path = netns.path();
      sandbox.owns_netns = true;
      created_netns.emplace(std::move(netns));
    }
    auto default_bridge = catalog_->Resolve(ns, "bridge");
    const std::string host_gateway = default_bridge.ok() ? default_bridge->gateway : "";
    for (const std::string& extra : spec.extra_hosts) {
      BERTH_ASSIGN_OR_RETURN(HostsEntry entry, ParseExtraHost(extra, host_gateway));
      sandbox.extra_hosts.push_back(absl::StrCat(entry.names, ":", entry.ip));
    }
    const std::string dir = FilesDir(spec.container_id);
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", error.message()));
    sandbox.hosts_path = dir + "/hosts";
    sandbox.resolv_conf_path = dir + "/resolv.conf";
    sandbox.hostname_path = dir + "/hostname";
  }

  EndpointRecord endpoint;
  if (network.driver == kDriverBridge || network.driver == kDriverCni) {
    // The lowest ethN the container's other endpoints do not use.
    int index = 0;
    while (std::any_of(existing.begin(), existing.end(), [&](const EndpointRecord& e) {
      return e.interface == absl::StrCat("eth", index);
    })) {
      ++index;
    }
    auto attached = AttachWithCni(network, sandbox, spec, index);
    if (!attached.ok()) {
      if (new_sandbox) std::filesystem::remove_all(FilesDir(spec.container_id));
      return attached.status();
    }
    endpoint = *std::move(attached);
  } else {
    endpoint.netns_path = sandbox.netns_path;
  }
  endpoint.id = RandomHex(32);
  endpoint.ns = std::string(ns);
  endpoint.container_id = spec.container_id;
  endpoint.network_id = network.id;
  endpoint.network_name = network.name;
  endpoint.aliases = spec.aliases;
  endpoint.created = absl::Now();

  absl::Status saved = store_->InsertEndpoint(endpoint);
  if (saved.ok() && new_sandbox) saved = store_->PutSandbox(sandbox);
  if (saved.ok() && new_sandbox) {
    DnsSettings dns = spec.dns;
    if (dns.servers.empty()) dns.servers = options_.daemon_dns.servers;
    if (dns.search.empty()) dns.search = options_.daemon_dns.search;
    if (dns.options.empty()) dns.options = options_.daemon_dns.options;
    std::string host_resolv = ReadHostResolvConf();
    saved = RewriteFileInPlace(sandbox.resolv_conf_path, network.driver == kDriverHost
                                                             ? host_resolv
                                                             : RenderResolvConf(host_resolv, dns));
    if (saved.ok()) saved = RewriteFileInPlace(sandbox.hostname_path, sandbox.hostname + "\n");
  }
  if (saved.ok()) saved = WriteNameFiles(sandbox);
  if (!saved.ok()) {
    if (!endpoint.cni_config.empty()) DetachOne(endpoint).IgnoreError();
    store_->DeleteEndpoint(endpoint.id).IgnoreError();
    if (new_sandbox) {
      store_->DeleteSandbox(spec.container_id).IgnoreError();
      std::filesystem::remove_all(FilesDir(spec.container_id));
    }
    return saved;
  }
  if (created_netns) created_netns->Release();
  if (HasPeerNames(network)) RefreshPeers({network.id}, spec.container_id).IgnoreError();
  if (options_.observe) options_.observe("attach", network.driver, absl::Now() - started);
  return std::make_pair(endpoint, sandbox);
}

absl::StatusOr<EndpointRecord> EndpointRegistry::AttachWithCni(const NetworkRecord& network,
                                                               const SandboxRecord& sandbox,
                                                               const AttachSpec& spec,
                                                               int interface_index) {
  BERTH_ASSIGN_OR_RETURN(nlohmann::json conflist, catalog_->Conflist(network));
  const bool bridge = network.driver == kDriverBridge;
  if (!bridge) {
    // An operator's conflist: what berth would pass must reach a plugin that takes it.
    if ((!spec.ports.empty() || spec.publish_all) && !HasCapability(conflist, "portMappings")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "network ", network.name, " cannot publish ports: no plugin of ",
          network.options.count(kCniFileOption) ? network.options.at(kCniFileOption) : "it",
          " has the portMappings capability"));
    }
    if (!spec.mac.empty() && !HasCapability(conflist, "mac")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "network ", network.name, " cannot set a MAC address: no plugin has the mac capability"));
    }
  }
  // The default bridge's rules are made on first use, not with the (built-in) network.
  if (bridge) BERTH_RETURN_IF_ERROR(isolation_->Ensure(network));
  PortPlan plan;
  plan.publish_all = spec.publish_all;
  plan.exposed = spec.exposed;
  plan.ephemeral = EphemeralPortRange();
  for (const PortRequest& r : spec.ports) plan.requests.push_back(r);
  BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> all, store_->ListEndpoints("", ""));
  for (const EndpointRecord& e : all) {
    plan.in_use.insert(plan.in_use.end(), e.ports.begin(), e.ports.end());
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<PortBinding> ports, BindPorts(plan, options_.port_probe));

  // berth's own list runs only the plugins with work to do; an operator's runs whole.
  if (bridge) conflist = PluginsWithWork(conflist, !ports.empty(), !spec.mac.empty());
  CniAttachment attachment;
  attachment.container_id = spec.container_id;
  attachment.netns_path = sandbox.netns_path;
  attachment.interface = absl::StrCat("eth", interface_index);
  if (!ports.empty()) attachment.runtime_config["portMappings"] = PortMappingsJson(ports);
  if (!spec.mac.empty()) attachment.runtime_config["mac"] = spec.mac;
  if (!spec.ipv4.empty()) {
    BERTH_ASSIGN_OR_RETURN(uint32_t ip, ParseIpv4(spec.ipv4));
    BERTH_ASSIGN_OR_RETURN(Ipv4Subnet subnet, ParseIpv4Subnet(network.subnet));
    if (!subnet.Contains(ip)) {
      return absl::InvalidArgumentError(
          absl::StrCat("no configured subnet or ip-range contain the IP address ", spec.ipv4));
    }
    attachment.runtime_config["ips"] = {Ipv4Subnet{ip, subnet.prefix_length}.AddressWithPrefix()};
  }
  auto result = cni_->Add(conflist, attachment);
  if (!result.ok()) {
    // What the plugins that succeeded did is undone; DEL tolerates what never happened.
    cni_->Del(conflist, attachment, nlohmann::json()).IgnoreError();
    return result.status();
  }
  EndpointRecord endpoint;
  endpoint.netns_path = sandbox.netns_path;
  endpoint.interface = attachment.interface;
  endpoint.ports = std::move(ports);
  endpoint.cni_config = conflist.dump();
  endpoint.cni_runtime_config = attachment.runtime_config.dump();
  endpoint.cni_result = result->dump();
  ReadResult(*result, attachment.interface, endpoint);
  return endpoint;
}

absl::Status EndpointRegistry::DetachOne(const EndpointRecord& endpoint) {
  if (endpoint.cni_config.empty()) return absl::OkStatus();  // host, none
  auto conflist = nlohmann::json::parse(endpoint.cni_config, nullptr, false);
  auto runtime_config = nlohmann::json::parse(endpoint.cni_runtime_config, nullptr, false);
  auto result = nlohmann::json::parse(endpoint.cni_result, nullptr, false);
  if (conflist.is_discarded()) return absl::DataLossError("stored CNI config is not JSON");
  CniAttachment attachment;
  attachment.container_id = endpoint.container_id;
  // A netns gone already (the host rebooted) is no error for DEL: the spec says so.
  attachment.netns_path = IsNetworkNamespaceMount(endpoint.netns_path) ? endpoint.netns_path : "";
  attachment.interface = endpoint.interface;
  if (runtime_config.is_object()) attachment.runtime_config = runtime_config;
  return cni_->Del(conflist, attachment, result.is_discarded() ? nlohmann::json() : result);
}

absl::Status EndpointRegistry::DropSandboxIfUnused(absl::string_view container_id) {
  BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> left, store_->ListEndpoints(container_id, ""));
  if (!left.empty()) return absl::OkStatus();
  BERTH_ASSIGN_OR_RETURN(std::optional<SandboxRecord> sandbox, store_->GetSandbox(container_id));
  if (sandbox && sandbox->owns_netns) {
    BERTH_RETURN_IF_ERROR(RemoveNetworkNamespace(sandbox->netns_path));
  }
  std::error_code ignored;
  std::filesystem::remove_all(FilesDir(container_id), ignored);
  return store_->DeleteSandbox(container_id);
}

absl::Status EndpointRegistry::Detach(absl::string_view ns, absl::string_view container_id,
                                      absl::string_view network) {
  const absl::Time started = absl::Now();
  std::lock_guard lock(mu_);
  std::string network_id;
  if (!network.empty()) {
    BERTH_ASSIGN_OR_RETURN(NetworkRecord n, catalog_->Resolve(ns, network));
    network_id = n.id;
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> endpoints,
                         store_->ListEndpoints(container_id, network_id));
  if (endpoints.empty() && !network.empty()) {
    return absl::NotFoundError(
        absl::StrCat("container ", container_id, " is not connected to network ", network));
  }
  absl::Status status;
  std::vector<std::string> networks;
  for (const EndpointRecord& e : endpoints) {
    // The record goes even when DEL fails: keeping it would block the network's removal
    // forever; Reconcile's sweep removes what DEL left.
    status.Update(DetachOne(e));
    status.Update(store_->DeleteEndpoint(e.id));
    networks.push_back(e.network_id);
  }
  status.Update(DropSandboxIfUnused(container_id));
  if (auto sandbox = store_->GetSandbox(container_id); sandbox.ok() && *sandbox) {
    status.Update(WriteNameFiles(**sandbox));
  }
  RefreshPeers(networks, container_id).IgnoreError();
  if (options_.observe && !endpoints.empty()) {
    auto first = catalog_->Resolve(ns, endpoints.front().network_id);
    options_.observe("detach", first.ok() ? first->driver : "", absl::Now() - started);
  }
  return status;
}

absl::StatusOr<std::vector<EndpointRecord>> EndpointRegistry::List(absl::string_view ns,
                                                                   absl::string_view container_id,
                                                                   absl::string_view network) {
  std::string network_id;
  if (!network.empty()) {
    BERTH_ASSIGN_OR_RETURN(NetworkRecord n, catalog_->Resolve(ns, network));
    network_id = n.id;
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> all,
                         store_->ListEndpoints(container_id, network_id));
  std::vector<EndpointRecord> out;
  for (EndpointRecord& e : all) {
    if (e.ns == ns) out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::optional<SandboxRecord>> EndpointRegistry::Sandbox(
    absl::string_view container_id) {
  return store_->GetSandbox(container_id);
}

absl::StatusOr<SandboxRecord> EndpointRegistry::SharedSandbox(absl::string_view container_id) {
  BERTH_ASSIGN_OR_RETURN(std::optional<SandboxRecord> sandbox, store_->GetSandbox(container_id));
  if (!sandbox || sandbox->netns_path.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot join network of a non running container: ", container_id));
  }
  return *sandbox;
}

absl::StatusOr<std::vector<PortBinding>> EndpointRegistry::Ports(absl::string_view container_id,
                                                                 uint16_t container_port,
                                                                 absl::string_view protocol) {
  BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> endpoints,
                         store_->ListEndpoints(container_id, ""));
  std::vector<PortBinding> out;
  for (const EndpointRecord& e : endpoints) {
    for (const PortBinding& p : e.ports) {
      if (container_port != 0 && (p.container_port != container_port || p.protocol != protocol)) {
        continue;
      }
      out.push_back(p);
    }
  }
  return out;
}

absl::StatusOr<std::vector<EndpointRecord>> EndpointRegistry::Reconcile(
    absl::string_view ns, const std::set<std::string>& live) {
  BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> all, store_->ListEndpoints("", ""));
  std::vector<EndpointRecord> removed;
  absl::Status status;
  std::set<std::string> detached_containers;
  for (const EndpointRecord& e : all) {
    if (e.ns != ns || live.count(e.container_id)) continue;
    if (!detached_containers.insert(e.container_id).second) {
      removed.push_back(e);
      continue;
    }
    absl::Status detached = Detach(e.ns, e.container_id, "");
    if (detached.ok() || absl::IsNotFound(detached)) {
      removed.push_back(e);
    } else {
      status.Update(detached);
    }
  }
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(std::vector<SandboxRecord> sandboxes, store_->ListSandboxes());
  std::set<std::string> netns_in_use;
  std::set<std::string> containers;
  for (const SandboxRecord& s : sandboxes) {
    if (s.ns == ns && !live.count(s.container_id)) {
      status.Update(DropSandboxIfUnused(s.container_id));
      continue;
    }
    netns_in_use.insert(s.netns_path);
    containers.insert(s.container_id);
  }
  std::error_code error;
  // netns files nothing refers to: a crash between creating one and storing it.
  for (const auto& entry : std::filesystem::directory_iterator(NetnsDir(), error)) {
    if (netns_in_use.count(entry.path().string())) continue;
    status.Update(RemoveNetworkNamespace(entry.path().string()));
  }
  for (const auto& entry :
       std::filesystem::directory_iterator(options_.state_dir + "/containers", error)) {
    if (containers.count(entry.path().filename().string())) continue;
    std::filesystem::remove_all(entry.path(), error);
  }
  // host-local reservations (a file per IP holding the container ID) of no endpoint.
  std::set<std::string> reserved_by;
  BERTH_ASSIGN_OR_RETURN(all, store_->ListEndpoints("", ""));
  for (const EndpointRecord& e : all) reserved_by.insert(e.container_id);
  for (const auto& net_dir : std::filesystem::directory_iterator(catalog_->IpamDataDir(), error)) {
    for (const auto& file : std::filesystem::directory_iterator(net_dir.path(), error)) {
      const std::string name = file.path().filename().string();
      if (name.rfind("last_reserved_ip", 0) == 0 || name == "lock") continue;
      auto owner = ReadFileText(file.path().string());
      if (!owner.ok()) continue;
      std::string id = owner->substr(0, owner->find_first_of("\r\n"));
      if (!reserved_by.count(id)) std::filesystem::remove(file.path(), error);
    }
  }
  return status.ok() ? absl::StatusOr<std::vector<EndpointRecord>>(removed) : status;
}

}  // namespace berth::network
